package dev.vlcache.core.family;

import java.util.function.Function;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.ModelConfig;

/**
 * One checkpoint as its family reads it: the shared configuration, and the parts that make the family.
 * Everything else (decoder, KV cache, compression, generation) is the engine's.
 *
 * @param config the configuration the shared engine needs
 * @param images the image processor, ready before the weights are loaded
 * @param vision loads the vision tower and projector through the weights, checking every tensor's shape
 * @param positions the rotary position scheme
 */
public record FamilyCheckpoint(ModelConfig config, ImagePreparer images, Function<WeightLoader, VisionEncoder> vision,
		PositionScheme positions) {

	/** Loads the vision tower and projector through {@code weights}. */
	public VisionEncoder loadVision(WeightLoader weights) {
		return this.vision.apply(weights);
	}

}
