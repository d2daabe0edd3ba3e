"""Queue, store, daemon and publishers: where Crier does I/O."""
