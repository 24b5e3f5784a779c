"""Test support for the kernel: real worker processes, topics read back, a fake command bus."""
