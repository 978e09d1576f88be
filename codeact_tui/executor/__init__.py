"""Host side of the WebAssembly sandbox: sessions, the project mount, live output, interrupts."""
