"""The back office's pages under /oficina."""
