package dev.vlcache.core.family;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.ModelConfig;

/**
 * One checkpoint as its family reads it: the shared configuration, and the parts that make the family.
 * Everything else (decoder, KV cache, compression, generation) is the engine's.
 */
public interface FamilyCheckpoint {

	ModelConfig config();

	/** The image processor, ready before the weights are loaded. */
	ImagePreparer images();

	/** Loads the vision tower and projector through {@code weights}, checking every tensor's shape. */
	VisionEncoder loadVision(WeightLoader weights);

	PositionScheme positions();

}
