"""The pure core: post model, platform rules, counting, formatting, facets and images. No I/O."""
