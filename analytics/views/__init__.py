"""The views: compose measures into what a page, the pack or the CLI shows; add no measure of their own."""
