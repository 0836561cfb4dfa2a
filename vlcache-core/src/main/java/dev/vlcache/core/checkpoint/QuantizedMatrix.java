package dev.vlcache.core.checkpoint;

import ai.djl.ndarray.NDArray;

/**
 * A matrix [out, in] stored as int8 {@code values} with one float32 scale per row: row {@code o} stands for
 * {@code values[o] * scales[o]}.
 */
public record QuantizedMatrix(NDArray values, NDArray scales) {
}
