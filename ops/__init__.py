"""Running Ortak locally and in tests: the embedded store, the broker, the processes, the demo."""
