"""NN-LUT: fit piecewise-linear tables to nonlinearities, quantize them, evaluate them bit-exactly."""
