package dev.vlcache.core.family.llavanext;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.config.ModelConfig;
import dev.vlcache.core.config.PreprocessorConfig;
import dev.vlcache.core.config.VisionConfig.VisionFamily;
import dev.vlcache.core.family.FamilyCheckpoint;
import dev.vlcache.core.family.ModelFamily;
import dev.vlcache.core.family.PositionScheme;
import dev.vlcache.core.image.ImageProcessor;

/**
 * LLaVA-NeXT ({@code llava_next}, {@code LlavaNextForConditionalGeneration}: LLaVA-1.6 with Vicuna, Mistral or
 * Yi decoders) and LLaVA-OneVision ({@code llava_onevision}: SigLIP and Qwen2, with {@code anyres_max_N}
 * downsampling): a LLaVA tower and projector applied to any-resolution tiles, whose token count depends on each
 * image's size.
 */
public final class LlavaNextFamily implements ModelFamily {

	private static final String ONEVISION = "llava_onevision";

	@Override
	public Set<String> modelTypes() {
		return Set.of("llava_next", ONEVISION);
	}

	@Override
	public FamilyCheckpoint open(Path folder, JsonObject config) {
		Path file = folder.resolve("config.json");
		String type = ConfigParser.string(config, "model_type", "llava_next");
		boolean onevision = type.equals(ONEVISION);
		LlavaConfig llava = ConfigParser.parseLlava(folder, config);
		PreprocessorConfig pre = PreprocessorConfig.load(folder);
		String expectedProcessor = onevision ? "LlavaOnevisionImageProcessor" : "LlavaNextImageProcessor";
		if (!pre.processorType().equals(expectedProcessor)) {
			throw new CheckpointException("preprocessor_config.json in " + folder + " names " + pre.processorType()
					+ "; a " + type + " checkpoint needs " + expectedProcessor);
		}
		List<int[]> pinpoints = pinpoints(config, file);
		if (pinpoints.isEmpty()) {
			throw new CheckpointException("config.json in " + folder + " has no image_grid_pinpoints");
		}
		if (!pre.imageGridPinpoints().isEmpty() && !samePinpoints(pinpoints, pre.imageGridPinpoints())) {
			throw new CheckpointException("image_grid_pinpoints differ between config.json and preprocessor_config.json in "
					+ folder + ": the model would unpad a grid the processor did not make");
		}
		int tile = llava.vision().imageSize();
		int patch = llava.vision().patchSize();
		for (int[] p : pinpoints) {
			if (p[0] % tile != 0 || p[1] % tile != 0) {
				throw new CheckpointException("image_grid_pinpoints [" + p[0] + ", " + p[1] + "] in " + file
						+ " is not a multiple of the tower's " + tile + "-pixel input");
			}
		}
		int perSide = tile / patch;
		boolean cls = llava.vision().family() == VisionFamily.CLIP;
		int featuresPerTile = llava.imageTokensPerImage();
		if (featuresPerTile != perSide * perSide) {
			throw new CheckpointException("vision_feature_select_strategy '" + llava.selectStrategy() + "' in " + file
					+ " leaves " + featuresPerTile + " features per tile, not a " + perSide + "x" + perSide + " grid"
					+ (cls ? " (a CLIP tower needs \"default\", which drops the class token)" : ""));
		}
		int maxTiles = onevision ? maxTiles(ConfigParser.string(config, "vision_aspect_ratio", "anyres_max_9"), file) : 0;
		AnyResolution geometry = new AnyResolution(pinpoints, tile, perSide, maxTiles);
		ImageProcessor tileProcessor = new ImageProcessor(pre);
		int baseSide = pre.resizeShortestEdge() > 0 ? pre.resizeShortestEdge()
				: Math.min(pre.resizeHeight(), pre.resizeWidth());
		if (baseSide != tile || (pre.cropHeight() > 0 && pre.cropHeight() != tile)) {
			throw new CheckpointException("preprocessor_config.json in " + folder + " makes " + baseSide + "-pixel tiles "
					+ "but the vision tower takes " + tile);
		}
		String tower = llava.vision().family() == VisionFamily.CLIP ? "clip" : "siglip";
		ModelConfig shared = new ModelConfig(type, llava.text(), llava.imageTokenId(), tower, null, llava.eosTokenIds(),
				llava.bosTokenId());
		return new FamilyCheckpoint(shared, new TilingImagePreparer(geometry, tileProcessor, baseSide),
				weights -> new TiledVision(weights, llava, geometry), PositionScheme.SEQUENTIAL);
	}

	private static List<int[]> pinpoints(JsonObject config, Path file) {
		JsonElement e = config.get("image_grid_pinpoints");
		List<int[]> out = new ArrayList<>();
		if (e == null || !e.isJsonArray()) {
			return out;
		}
		for (JsonElement p : e.getAsJsonArray()) {
			if (!p.isJsonArray() || p.getAsJsonArray().size() != 2) {
				throw new CheckpointException("image_grid_pinpoints in " + file + " must be [height, width] pairs, got " + p);
			}
			out.add(new int[] { p.getAsJsonArray().get(0).getAsInt(), p.getAsJsonArray().get(1).getAsInt() });
		}
		return out;
	}

	private static boolean samePinpoints(List<int[]> a, List<int[]> b) {
		if (a.size() != b.size()) {
			return false;
		}
		for (int i = 0; i < a.size(); i++) {
			if (a.get(i)[0] != b.get(i)[0] || a.get(i)[1] != b.get(i)[1]) {
				return false;
			}
		}
		return true;
	}

	/** N of {@code anyres_max_N}; any other {@code vision_aspect_ratio} is refused. */
	private static int maxTiles(String aspect, Path file) {
		if (aspect.startsWith("anyres_max_")) {
			try {
				int n = Integer.parseInt(aspect.substring("anyres_max_".length()));
				if (n > 0) {
					return n;
				}
			}
			catch (NumberFormatException ex) {
				// reported below
			}
		}
		throw new CheckpointException("vision_aspect_ratio '" + aspect + "' in " + file
				+ " is not supported; supported: anyres_max_N (N >= 1)");
	}

}
