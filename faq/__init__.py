"""The knowledge and the matcher: text in, ranked entries out. Pure and synchronous."""
