"""What leaves the app: the review pack, the deck, chart images and safe exports."""
