"""What ``profundo train`` trains for an image model: the data set's images, resized to the size
the architecture expects and standardized, then the book's network."""
from ..nn import Module
from ..transforms import Resize
from .mlp import Standardize


class ImageClassifier(Module):
    """``(N, H, W)`` or ``(N, C, H, W)`` images -> ``(N, C, image_size, image_size)`` -> ``(x - mean) / std``
    -> ``net``.  ``mean`` and ``std`` (the training images' statistics) are buffers, saved with the model."""

    def __init__(self, net, image_size, mean, std):
        super().__init__()
        self.image_size = image_size
        self.standardize = Standardize(mean, std)
        self.net = net

    def forward(self, x):
        if x.dim() == 3:  # grey images (N, H, W): one channel
            x = x.unsqueeze(1)
        if tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            # bilinear resizing of the data (no gradient flows to the images: they are the input, not weights);
            # done per batch, so that a large data set is never held at the large size all at once
            x = Resize((self.image_size, self.image_size))(x.detach())
        return self.net(self.standardize(x))

    def extra_repr(self):
        return f"image_size={self.image_size}"
