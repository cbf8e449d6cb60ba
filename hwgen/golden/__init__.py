"""The golden model: bit patterns in, bit patterns out, vectorized NumPy (imports only the registry)."""

from hwgen.golden.block import dequantize_blocks, quantize_blocks, scale_values
from hwgen.golden.codec import Parts, all_values, decode, encode, split
from hwgen.golden.mac import MacResult, mac

__all__ = ["MacResult", "Parts", "all_values", "decode", "dequantize_blocks", "encode", "mac",
           "quantize_blocks", "scale_values", "split"]
