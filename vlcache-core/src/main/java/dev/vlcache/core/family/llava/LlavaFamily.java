package dev.vlcache.core.family.llava;

import java.nio.file.Path;
import java.util.Set;

import com.google.gson.JsonObject;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.config.ModelConfig;
import dev.vlcache.core.family.FamilyCheckpoint;
import dev.vlcache.core.family.ModelFamily;
import dev.vlcache.core.family.PositionScheme;
import dev.vlcache.core.image.ImageProcessor;

/**
 * LLaVA-1.5 ({@code model_type: llava}, {@code LlavaForConditionalGeneration}): a CLIP or SigLIP tower, the
 * two-layer projector, and every image one fixed-size picture of the same number of tokens.
 */
public final class LlavaFamily implements ModelFamily {

	@Override
	public Set<String> modelTypes() {
		return Set.of("llava");
	}

	@Override
	public FamilyCheckpoint open(Path folder, JsonObject config) {
		LlavaConfig llava = ConfigParser.parseLlava(folder, config);
		ImageProcessor processor = ImageProcessor.load(folder);
		int[] size = processor.outputSize();
		int side = llava.vision().imageSize();
		if (size[0] > 0 && (size[0] != side || size[1] != side)) {
			throw new CheckpointException("preprocessor_config.json in " + folder + " produces " + size[1] + "x"
					+ size[0] + " images but the vision tower expects " + side + "x" + side);
		}
		ModelConfig shared = new ModelConfig("llava", llava.text(), llava.imageTokenId(), LlavaVision.towerName(llava),
				llava.imageTokensPerImage(), llava.eosTokenIds(), llava.bosTokenId());
		return new FamilyCheckpoint(shared,
				(image, name) -> LlavaImage.of(processor, image, name, side, llava.imageTokensPerImage()),
				weights -> new LlavaVision(weights, llava, processor), PositionScheme.SEQUENTIAL);
	}

}
