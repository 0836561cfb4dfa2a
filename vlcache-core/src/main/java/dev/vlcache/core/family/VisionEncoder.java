package dev.vlcache.core.family;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** A family's vision tower, projector and feature layout: prepared images to prompt embeddings. */
@FunctionalInterface
public interface VisionEncoder {

	/**
	 * Encodes {@code images} into their prompt embeddings, [sum of their tokens, decoder hidden], in prompt order,
	 * in the compute dtype and owned by {@code scope}.
	 */
	NDArray encode(NDManager scope, List<PreparedImage> images);

}
