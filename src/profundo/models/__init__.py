"""The course's models, readable and book-shaped (d2l's PyTorch edition, chapters 7 to 11).

Unit 1: ``SoftmaxRegression``, ``MLP``.  Unit 2: ``LeNet``, ``AlexNet``, ``VGG``, ``NiN``,
``GoogLeNet``, ``ResNet18`` (the book's layout), ``resnet18`` (torchvision's), ``ResNeXtBlock``,
``DenseNet``.  Unit 3 (chapters 9-11): the language models (``RNNScratch``, ``RNNLMScratch``, ``RNNLM``, ...),
sequence to sequence (``Seq2SeqEncoder``, ``Seq2SeqDecoder``, ``Seq2SeqAttentionDecoder``, ``Seq2Seq``),
attention (``masked_softmax``, ``DotProductAttention``, ``AdditiveAttention``, ``MultiHeadAttention``,
``PositionalEncoding``) and the Transformer (``TransformerEncoder``, ``TransformerDecoder``,
``TransformerClassifier``).  Unit 4 (issue 14): recommenders (``MatrixFactorization``, ``AutoRec``,
``BPRLoss``, ``HingeLossRec``, ``NeuMF``, ``FactorizationMachine``, ``DeepFM``).  ``summary`` / ``layer_summary`` show what each layer does to the shape.

``MODELS`` names those the command line can train (``profundo train NAME``).
"""
from functools import partial

from .alexnet import AlexNet  # noqa: F401
from .classifier import ImageClassifier  # noqa: F401
from .densenet import DenseBlock, DenseNet, conv_block, transition_block  # noqa: F401
from .googlenet import GoogLeNet, Inception  # noqa: F401
from .lenet import LeNet  # noqa: F401
from .mlp import MLP, SoftmaxRegression, Standardize  # noqa: F401
from .nin import NiN, nin_block  # noqa: F401
from .resnet import (BasicBlock, Residual, ResNet, ResNet18, ResNeXtBlock, TorchvisionResNet,  # noqa: F401
                     resnet18)
from .summary import ModelSummary, layer_summary, summary  # noqa: F401
from .vgg import VGG, VGG11, vgg_block  # noqa: F401
# Unit 3 (issue 13): language models, sequence to sequence, attention, the Transformer
from .language import *  # noqa: F401,F403,E402
from .seq2seq import *  # noqa: F401,F403,E402
# Unit 4 (issue 14): recommender systems
from .recsys import *  # noqa: F401,F403,E402
from .attention import *  # noqa: F401,F403,E402
from .transformer import *  # noqa: F401,F403,E402

MODELS = {"mlp": MLP, "softmax": SoftmaxRegression,
          # image models: built with ``num_classes`` and ``in_channels``, trained on IMAGE_SIZES[name] pixels
          "lenet": partial(LeNet, activation="relu", pooling="max"),  # the variant that trains well
          "lenet-sigmoid": LeNet,  # the book's (LeCun's) sigmoid + average pooling
          "alexnet": AlexNet,
          "vgg": partial(VGG, arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))),  # the book trains VGG-11 / 4
          "nin": NiN,
          "googlenet": GoogLeNet,
          "resnet18": ResNet18,
          "densenet": DenseNet}

# the side of the square images each image model is trained on: 28 (MNIST's) where the architecture works
# at 28x28, else the book's size (AlexNet, VGG and NiN shrink the image too much below 224; DenseNet below 32)
IMAGE_SIZES = {"lenet": 28, "lenet-sigmoid": 28, "alexnet": 224, "vgg": 224, "nin": 224, "googlenet": 28,
               "resnet18": 28, "densenet": 96}
