package dev.vlcache.core.config;

import java.nio.file.Path;

import com.google.gson.JsonObject;

import dev.vlcache.core.checkpoint.CheckpointException;

/**
 * Qwen2-VL's {@code vision_config} ({@code Qwen2VLVisionConfig}), defaults resolved.
 *
 * @param depth transformer blocks
 * @param embedDim block width
 * @param numHeads attention heads
 * @param mlpRatio MLP width over block width
 * @param hiddenSize the merger's output width, the decoder's hidden size
 * @param patchSize spatial patch side
 * @param spatialMergeSize patches per side the merger folds into one token
 * @param temporalPatchSize frames per patch
 * @param inChannels input channels
 * @param hiddenAct MLP activation
 */
public record Qwen2VisionConfig(int depth, int embedDim, int numHeads, int mlpRatio, int hiddenSize, int patchSize,
		int spatialMergeSize, int temporalPatchSize, int inChannels, String hiddenAct) {

	/** Parses {@code j} (the {@code vision_config} object of {@code file}). */
	public static Qwen2VisionConfig parse(JsonObject j, Path file) {
		Qwen2VisionConfig c = new Qwen2VisionConfig(ConfigParser.integer(j, "depth", 32),
				ConfigParser.integer(j, "embed_dim", 1280), ConfigParser.integer(j, "num_heads", 16),
				ConfigParser.integer(j, "mlp_ratio", 4), ConfigParser.integer(j, "hidden_size", 3584),
				ConfigParser.integer(j, "patch_size", 14), ConfigParser.integer(j, "spatial_merge_size", 2),
				ConfigParser.integer(j, "temporal_patch_size", 2),
				ConfigParser.integer(j, "in_chans", ConfigParser.integer(j, "in_channels", 3)),
				ConfigParser.string(j, "hidden_act", "quick_gelu"));
		if (c.embedDim % c.numHeads != 0 || (c.embedDim / c.numHeads) % 4 != 0) {
			throw new CheckpointException("vision_config in " + file + ": embed_dim " + c.embedDim + " over num_heads "
					+ c.numHeads + " must be a head width divisible by 4 (two rotary axes)");
		}
		return c;
	}

	public int headDim() {
		return this.embedDim / this.numHeads;
	}

	/** Values of one flattened patch: channels x frames x side x side. */
	public int patchValues() {
		return this.inChannels * this.temporalPatchSize * this.patchSize * this.patchSize;
	}

}
