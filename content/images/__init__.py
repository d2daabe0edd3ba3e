"""Caption images: quote cards, captioned photos and thread covers, rendered to bytes.

`plan` decides which images each network gets; `render.render_image` turns one into encoded
bytes (`cards` draws, `layout` sets the text, `runs` and `fonts` handle scripts and fallback,
`photo` reads the author's pictures, `encode` meets the byte budgets). Pure: the caller loads
the files (see scheduler/images.py). Nothing is imported here so that planning stays cheap.
"""
