"""What goes into the models: datasets, the dataset records, reading and preparing images, generated inputs."""
