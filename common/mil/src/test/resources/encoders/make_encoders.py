"""Makes the TorchScript encoders the tests load (run with Debian's python3-torch; torch 1.13 made the committed
files): tiny-encoder.pt, a frozen 3-channel CNN that maps tiles of any size to 8 features (convolution, ReLU,
global average pooling, flatten); bad-shape-encoder.pt, the same without pooling and flattening, so its output is
[n, 8, h, w] (an encoder the site must refuse). Fixed seed, so the files are reproducible."""
import torch

torch.manual_seed(7)


class Tiny(torch.nn.Module):
    def __init__(self, pool=True):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.pool = pool

    def forward(self, x):
        y = torch.relu(self.conv(x))
        if self.pool:
            y = torch.flatten(torch.nn.functional.adaptive_avg_pool2d(y, 1), 1)
        return y


example = torch.rand(2, 3, 16, 16)
torch.jit.save(torch.jit.trace(Tiny().eval(), example), "tiny-encoder.pt")
torch.jit.save(torch.jit.trace(Tiny(pool=False).eval(), example), "bad-shape-encoder.pt")


class TwoBlock(torch.nn.Module):
    """An encoder with a frozen prefix and a last block to fine-tune: stem (conv 3→4, ReLU), then block (conv
    4→8, ReLU), global average pooling, flatten; 8 features. Parameter names: stem.weight, stem.bias,
    block.0.weight, block.0.bias."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 4, kernel_size=3, padding=1)
        self.block = torch.nn.Sequential(torch.nn.Conv2d(4, 8, kernel_size=3, padding=1), torch.nn.ReLU())

    def forward(self, x):
        y = self.block(torch.relu(self.stem(x)))
        return torch.flatten(torch.nn.functional.adaptive_avg_pool2d(y, 1), 1)


torch.manual_seed(11)
torch.jit.save(torch.jit.trace(TwoBlock().eval(), example), "two-block-encoder.pt")


class WithBatchNorm(torch.nn.Module):
    """Like TwoBlock, scripted, with a batch norm in the last block whose running statistics are not the initial 0 and 1
    (a few training-mode passes before saving), so that a forward pass in training mode, which normalises with the
    batch's statistics, gives other features than eval mode. Parameters: stem.weight, stem.bias, block.0.weight,
    block.0.bias, block.1.weight, block.1.bias; buffers block.1.running_mean/var/num_batches_tracked."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 4, kernel_size=3, padding=1)
        self.block = torch.nn.Sequential(torch.nn.Conv2d(4, 8, kernel_size=3, padding=1), torch.nn.BatchNorm2d(8),
                                         torch.nn.ReLU())

    def forward(self, x):
        y = self.block(torch.relu(self.stem(x)))
        return torch.flatten(torch.nn.functional.adaptive_avg_pool2d(y, 1), 1)


torch.manual_seed(13)
bn = WithBatchNorm().train()
for _ in range(5):
    bn(torch.rand(4, 3, 16, 16) * 2 + 0.5)
# scripted, not traced: a traced graph bakes in the mode it was traced in, a scripted one switches with train()
torch.jit.save(torch.jit.script(bn.eval()), "batchnorm-encoder.pt")
