"""The torch networks and their training: autoencoder, augmentation, training loop, the none-detector."""
