package dev.vlcache.core.family.qwen2vl;

import java.nio.file.Path;
import java.util.Set;

import com.google.gson.JsonObject;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.ModelConfig;
import dev.vlcache.core.config.Qwen2VisionConfig;
import dev.vlcache.core.config.Qwen2VlProcessorConfig;
import dev.vlcache.core.config.TextConfig;
import dev.vlcache.core.config.TextConfig.DecoderFamily;
import dev.vlcache.core.family.FamilyCheckpoint;
import dev.vlcache.core.family.ModelFamily;
import dev.vlcache.core.family.PositionScheme;

/**
 * Qwen2-VL ({@code qwen2_vl}, {@code Qwen2VLForConditionalGeneration}): its own vision transformer on
 * dynamically resized images, a Qwen2 decoder with multimodal rotary positions, and images written as
 * {@code <|vision_start|><|image_pad|><|vision_end|>} with the pad expanded to the image's merged patches.
 * Qwen2.5-VL ({@code qwen2_5_vl}: windowed attention, RMSNorm and gated MLPs in the tower) is a different family.
 */
public final class Qwen2VlFamily implements ModelFamily {

	@Override
	public Set<String> modelTypes() {
		return Set.of("qwen2_vl");
	}

	@Override
	public FamilyCheckpoint open(Path folder, JsonObject config) {
		Path file = folder.resolve("config.json");
		// Older configs keep the decoder's fields at the top level, newer ones in text_config.
		JsonObject textJson = config.has("text_config") && config.get("text_config").isJsonObject()
				? merged(config, config.getAsJsonObject("text_config")) : config;
		TextConfig text = ConfigParser.parseText(textJson, file, DecoderFamily.QWEN2);
		if (text.mropeSection().isEmpty()) {
			throw new CheckpointException("config.json in " + folder
					+ " has no rope_scaling.mrope_section; qwen2_vl needs its multimodal rotary sections");
		}
		if (!config.has("vision_config") || !config.get("vision_config").isJsonObject()) {
			throw new CheckpointException("config.json in " + folder + " has no vision_config");
		}
		Qwen2VisionConfig vision = Qwen2VisionConfig.parse(config.getAsJsonObject("vision_config"), file);
		if (vision.hiddenSize() != text.hiddenSize()) {
			throw new CheckpointException("vision_config.hidden_size " + vision.hiddenSize() + " in " + file
					+ " must equal the decoder's hidden_size " + text.hiddenSize());
		}
		Qwen2VlProcessorConfig processor = Qwen2VlProcessorConfig.load(folder);
		if (processor.patchSize() != vision.patchSize() || processor.mergeSize() != vision.spatialMergeSize()
				|| processor.temporalPatchSize() != vision.temporalPatchSize()) {
			throw new CheckpointException("preprocessor_config.json in " + folder + " cuts " + processor.patchSize()
					+ "-pixel patches merged " + processor.mergeSize() + "x" + processor.mergeSize() + " over "
					+ processor.temporalPatchSize() + " frames, but vision_config expects " + vision.patchSize() + ", "
					+ vision.spatialMergeSize() + " and " + vision.temporalPatchSize());
		}
		int imageToken = ConfigParser.integer(config, "image_token_id", 151655);
		Integer bos = config.has("bos_token_id") && !config.get("bos_token_id").isJsonNull()
				? config.get("bos_token_id").getAsInt() : null;
		ModelConfig shared = new ModelConfig("qwen2_vl", text, imageToken, "qwen2-vl", null,
				ConfigParser.eosTokenIds(folder, textJson, config), bos);
		return new FamilyCheckpoint(shared, new PatchingImagePreparer(processor),
				weights -> new Qwen2VisionTransformer(weights, vision), new MultimodalPositions(vision.spatialMergeSize()));
	}

	/** The top-level fields with {@code text_config}'s on top. */
	private static JsonObject merged(JsonObject root, JsonObject text) {
		JsonObject out = root.deepCopy();
		text.entrySet().forEach(e -> out.add(e.getKey(), e.getValue()));
		return out;
	}

}
