package dev.vlcache.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.config.TextConfig.DecoderFamily;
import dev.vlcache.core.config.TextConfig.RopeScaling;
import dev.vlcache.core.config.VisionConfig.VisionFamily;

/**
 * Reads {@code config.json} of a {@code llava} checkpoint. Fields a checkpoint omits take the defaults of the
 * Hugging Face configuration class of their own {@code model_type} ({@code LlamaConfig}, {@code MistralConfig},
 * {@code Qwen2Config}, {@code CLIPVisionConfig}, {@code SiglipVisionConfig}), and an absent {@code vision_config}
 * or {@code text_config} takes {@code LlavaConfig}'s defaults, because real checkpoints such as llava-1.5-7b-hf
 * rely on them.
 */
public final class ConfigParser {

	private ConfigParser() {
	}

	/**
	 * Parses {@code config.json} (and {@code generation_config.json} for EOS ids) of a {@code llava} checkpoint in
	 * {@code folder}.
	 */
	public static LlavaConfig parse(Path folder) {
		Path file = folder.resolve("config.json");
		JsonObject root = readJson(file);
		String modelType = string(root, "model_type", null);
		if (modelType == null) {
			throw new CheckpointException("config.json in " + folder + " has no \"model_type\"; expected \"llava\"");
		}
		if (!modelType.equals("llava")) {
			throw new CheckpointException("Unsupported model_type '" + modelType + "' in " + file
					+ "; this reads \"llava\" checkpoints");
		}
		return parseLlava(folder, root);
	}

	/**
	 * The parts every LLaVA-style config shares ({@code llava}, {@code llava_next}, {@code llava_onevision}):
	 * {@code text_config}, {@code vision_config}, the feature layer and strategy, the projector and the ids.
	 */
	public static LlavaConfig parseLlava(Path folder, JsonObject root) {
		Path file = folder.resolve("config.json");
		JsonObject textJson = root.has("text_config") && root.get("text_config").isJsonObject()
				? root.getAsJsonObject("text_config") : new JsonObject();
		JsonObject visionJson = root.has("vision_config") && root.get("vision_config").isJsonObject()
				? root.getAsJsonObject("vision_config") : null;
		TextConfig text = parseText(textJson, file);
		VisionConfig vision = visionJson == null ? llavaDefaultVision() : parseVision(visionJson, file);

		List<Integer> featureLayers = new ArrayList<>();
		JsonElement fl = root.get("vision_feature_layer");
		if (fl == null || fl.isJsonNull()) {
			featureLayers.add(-2);
		}
		else if (fl.isJsonArray()) {
			fl.getAsJsonArray().forEach(e -> featureLayers.add(e.getAsInt()));
		}
		else {
			featureLayers.add(fl.getAsInt());
		}
		for (int layer : featureLayers) {
			int resolved = layer < 0 ? vision.numLayers() + 1 + layer : layer;
			if (resolved < 0 || resolved > vision.numLayers()) {
				throw new CheckpointException("vision_feature_layer " + layer + " in " + file + " is out of range for a "
						+ vision.numLayers() + "-layer vision tower (valid: " + (-(vision.numLayers() + 1)) + " to "
						+ vision.numLayers() + ")");
			}
		}
		String strategy = string(root, "vision_feature_select_strategy", "default");
		if (!strategy.equals("default") && !strategy.equals("full")) {
			throw new CheckpointException("vision_feature_select_strategy '" + strategy + "' in " + file
					+ " is not supported; expected \"default\" or \"full\"");
		}
		int imageTokenId = root.has("image_token_index") ? root.get("image_token_index").getAsInt()
				: integer(root, "image_token_id", 32000);
		List<Integer> eos = eosTokenIds(folder, textJson, root);
		Integer bos = textJson.has("bos_token_id") && !textJson.get("bos_token_id").isJsonNull()
				? textJson.get("bos_token_id").getAsInt() : null;
		return new LlavaConfig(text, vision, imageTokenId, string(root, "projector_hidden_act", "gelu"), featureLayers,
				strategy, bool(root, "multimodal_projector_bias", true), eos, bos);
	}

	static TextConfig parseText(JsonObject j, Path file) {
		String type = string(j, "model_type", "llama");
		DecoderFamily family = switch (type) {
			case "llama" -> DecoderFamily.LLAMA;
			case "mistral" -> DecoderFamily.MISTRAL;
			case "qwen2" -> DecoderFamily.QWEN2;
			default -> throw new CheckpointException("Unsupported text_config.model_type '" + type + "' in " + file
					+ "; supported decoders: llama, mistral, qwen2");
		};
		return parseText(j, file, family);
	}

	/**
	 * A decoder configuration of a known architecture, its omitted fields taking that architecture's Hugging Face
	 * defaults (for configs that keep the decoder's fields at the top level, as Qwen2-VL does).
	 */
	public static TextConfig parseText(JsonObject j, Path file, DecoderFamily family) {
		// Defaults of LlamaConfig / MistralConfig / Qwen2Config.
		int vocab = integer(j, "vocab_size", family == DecoderFamily.QWEN2 ? 151936 : 32000);
		int hidden = integer(j, "hidden_size", 4096);
		int intermediate = integer(j, "intermediate_size", switch (family) {
			case LLAMA -> 11008;
			case MISTRAL -> 14336;
			case QWEN2 -> 22016;
		});
		int layers = integer(j, "num_hidden_layers", 32);
		int heads = integer(j, "num_attention_heads", 32);
		Integer kvDefault = family == DecoderFamily.MISTRAL ? Integer.valueOf(8) : null;
		int kvHeads = j.has("num_key_value_heads") && !j.get("num_key_value_heads").isJsonNull()
				? j.get("num_key_value_heads").getAsInt() : (kvDefault != null ? kvDefault : heads);
		int headDim = j.has("head_dim") && !j.get("head_dim").isJsonNull() ? j.get("head_dim").getAsInt()
				: hidden / heads;
		int maxPos = integer(j, "max_position_embeddings", switch (family) {
			case LLAMA -> 2048;
			case MISTRAL -> 4096 * 32;
			case QWEN2 -> 32768;
		});
		double eps = number(j, "rms_norm_eps", 1e-6);
		double theta = number(j, "rope_theta", 10000.0);
		boolean attentionBias = family == DecoderFamily.QWEN2 || bool(j, "attention_bias", false);
		boolean outputBias = family != DecoderFamily.QWEN2 && bool(j, "attention_bias", false);
		boolean mlpBias = family == DecoderFamily.LLAMA && bool(j, "mlp_bias", false);
		Integer slidingWindow = null;
		if (family == DecoderFamily.MISTRAL) {
			slidingWindow = j.has("sliding_window") ? (j.get("sliding_window").isJsonNull() ? null
					: Integer.valueOf(j.get("sliding_window").getAsInt())) : Integer.valueOf(4096);
		}
		else if (family == DecoderFamily.QWEN2 && bool(j, "use_sliding_window", false)) {
			slidingWindow = integer(j, "sliding_window", 4096);
		}
		if (heads % kvHeads != 0) {
			throw new CheckpointException("text_config in " + file + ": num_attention_heads " + heads
					+ " is not a multiple of num_key_value_heads " + kvHeads);
		}
		String act = string(j, "hidden_act", "silu");
		if (!act.equals("silu")) {
			throw new CheckpointException("text_config.hidden_act '" + act + "' in " + file + " is not supported (silu)");
		}
		List<Integer> mrope = mropeSection(j, headDim, file);
		return new TextConfig(family, vocab, hidden, intermediate, layers, heads, kvHeads, headDim, act, maxPos, eps,
				theta, mrope.isEmpty() ? ropeScaling(j, file) : null, attentionBias, outputBias, mlpBias,
				bool(j, "tie_word_embeddings", false), slidingWindow, mrope);
	}

	/**
	 * {@code rope_scaling.mrope_section} (Qwen2-VL's multimodal rotary positions): how many of the head's
	 * rotary frequencies follow the temporal, height and width position; they must add up to half the head.
	 */
	private static List<Integer> mropeSection(JsonObject j, int headDim, Path file) {
		JsonElement e = j.get("rope_scaling");
		if (e == null || !e.isJsonObject() || !e.getAsJsonObject().has("mrope_section")) {
			return List.of();
		}
		List<Integer> sections = new ArrayList<>();
		e.getAsJsonObject().getAsJsonArray("mrope_section").forEach(x -> sections.add(x.getAsInt()));
		int sum = sections.stream().mapToInt(Integer::intValue).sum();
		if (sections.size() != 3 || sum != headDim / 2) {
			throw new CheckpointException("rope_scaling.mrope_section " + sections + " in " + file
					+ " must have 3 sections adding up to head_dim / 2 = " + headDim / 2);
		}
		return sections;
	}

	private static @Nullable RopeScaling ropeScaling(JsonObject j, Path file) {
		JsonElement e = j.get("rope_scaling");
		if (e == null || e.isJsonNull()) {
			return null;
		}
		JsonObject r = e.getAsJsonObject();
		String type = string(r, "rope_type", string(r, "type", "default"));
		switch (type) {
			case "default":
			case "mrope":
				return null;
			case "linear":
				return new RopeScaling(type, number(r, "factor", 1.0), 0, 0, 0);
			case "llama3":
				return new RopeScaling(type, number(r, "factor", 8.0), number(r, "low_freq_factor", 1.0),
						number(r, "high_freq_factor", 4.0), integer(r, "original_max_position_embeddings", 8192));
			default:
				throw new CheckpointException("rope_scaling type '" + type + "' in " + file
						+ " is not supported; supported: linear, llama3");
		}
	}

	public static VisionConfig parseVision(JsonObject j, Path file) {
		String type = string(j, "model_type", "clip_vision_model");
		return switch (type) {
			case "clip_vision_model" -> new VisionConfig(VisionFamily.CLIP, integer(j, "hidden_size", 768),
					integer(j, "intermediate_size", 3072), integer(j, "num_hidden_layers", 12),
					integer(j, "num_attention_heads", 12), integer(j, "num_channels", 3), integer(j, "image_size", 224),
					integer(j, "patch_size", 32), string(j, "hidden_act", "quick_gelu"), number(j, "layer_norm_eps", 1e-5));
			case "siglip_vision_model" -> new VisionConfig(VisionFamily.SIGLIP, integer(j, "hidden_size", 768),
					integer(j, "intermediate_size", 3072), integer(j, "num_hidden_layers", 12),
					integer(j, "num_attention_heads", 12), integer(j, "num_channels", 3), integer(j, "image_size", 224),
					integer(j, "patch_size", 16), string(j, "hidden_act", "gelu_pytorch_tanh"),
					number(j, "layer_norm_eps", 1e-6));
			default -> throw new CheckpointException("Unsupported vision_config.model_type '" + type + "' in " + file
					+ "; supported vision towers: clip_vision_model, siglip_vision_model");
		};
	}

	/** {@code LlavaConfig}'s vision tower when {@code vision_config} is absent: CLIP ViT-L/14 at 336 px. */
	private static VisionConfig llavaDefaultVision() {
		return new VisionConfig(VisionFamily.CLIP, 1024, 4096, 24, 16, 3, 336, 14, "quick_gelu", 1e-5);
	}

	/** End-of-sequence ids of {@code generation_config.json} and of the given config objects, in that order. */
	public static List<Integer> eosTokenIds(Path folder, JsonObject... configs) {
		Set<Integer> eos = new LinkedHashSet<>();
		Path file = folder.resolve("generation_config.json");
		if (Files.isRegularFile(file)) {
			addIds(readJson(file).get("eos_token_id"), eos);
		}
		for (JsonObject c : configs) {
			addIds(c.get("eos_token_id"), eos);
		}
		return List.copyOf(eos);
	}

	private static void addIds(@Nullable JsonElement e, Set<Integer> into) {
		if (e == null || e.isJsonNull()) {
			return;
		}
		if (e.isJsonArray()) {
			e.getAsJsonArray().forEach(x -> into.add(x.getAsInt()));
		}
		else {
			into.add(e.getAsInt());
		}
	}

	/** Reads a JSON object file, reporting a missing or malformed file by name. */
	public static JsonObject readJson(Path file) {
		try {
			JsonElement e = JsonParser.parseString(Files.readString(file));
			if (!e.isJsonObject()) {
				throw new CheckpointException("Malformed " + file + ": expected a JSON object");
			}
			return e.getAsJsonObject();
		}
		catch (NoSuchFileException ex) {
			throw new CheckpointException("Missing " + file.getFileName() + " in " + file.getParent(), ex);
		}
		catch (IOException ex) {
			throw new CheckpointException("Cannot read " + file + ": " + ex.getMessage(), ex);
		}
		catch (JsonParseException ex) {
			throw new CheckpointException("Malformed JSON in " + file + ": " + ex.getMessage(), ex);
		}
	}

	public static @Nullable String string(JsonObject j, String key, @Nullable String fallback) {
		JsonElement e = j.get(key);
		return e == null || e.isJsonNull() ? fallback : e.getAsString();
	}

	public static int integer(JsonObject j, String key, int fallback) {
		JsonElement e = j.get(key);
		return e == null || e.isJsonNull() ? fallback : e.getAsInt();
	}

	public static double number(JsonObject j, String key, double fallback) {
		JsonElement e = j.get(key);
		return e == null || e.isJsonNull() ? fallback : e.getAsDouble();
	}

	public static boolean bool(JsonObject j, String key, boolean fallback) {
		JsonElement e = j.get(key);
		return e == null || e.isJsonNull() ? fallback : e.getAsBoolean();
	}

}
