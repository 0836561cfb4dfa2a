package dev.vlcache.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.vlcache.testsupport.SafetensorsWriter;

/**
 * A randomly initialised checkpoint of a realistic decoder shape, written in the ordinary Hugging Face layout of
 * its family (config, safetensors, WordLevel tokenizer, chat template, preprocessor) and loaded by the same loader
 * as any checkpoint. Weights are random, so only speed and memory mean anything. The vision towers are small
 * (one layer): what matters is the number of image tokens they give, which is the real family's.
 *
 * @param family {@code llava} (SigLIP-shaped, 576 tokens per image), {@code llava_next} (CLIP-shaped 336-pixel
 * tiles on llava-v1.6's grid: 1368 tokens for the harness's 400 x 300 images) or {@code qwen2_vl} (its processor
 * and merger: 154 tokens for a 400 x 300 image)
 * @param name label
 * @param decoder llama, mistral or qwen2
 * @param hidden model width
 * @param intermediate MLP width
 * @param layers decoder layers
 * @param heads query heads
 * @param kvHeads key/value heads
 * @param vocab vocabulary size
 * @param tie whether the LM head is tied to the embeddings
 * @param storage the dtype of the written tensors (F16 halves the file of the whole 7B shape, 13.5 GB)
 */
public record SyntheticCheckpoint(String family, String name, String decoder, int hidden, int intermediate,
		int layers, int heads, int kvHeads, int vocab, boolean tie, SafetensorsWriter.DType storage) {

	/** A shape stored in F32. */
	public SyntheticCheckpoint(String family, String name, String decoder, int hidden, int intermediate, int layers,
			int heads, int kvHeads, int vocab, boolean tie) {
		this(family, name, decoder, hidden, intermediate, layers, heads, kvHeads, vocab, tie,
				SafetensorsWriter.DType.F32);
	}

	/** Qwen2-0.5B's decoder. */
	public static final SyntheticCheckpoint QWEN2_0_5B = new SyntheticCheckpoint("llava", "qwen2-0.5b", "qwen2", 896,
			4864, 24, 14, 2, 151936, true);

	/** LLaVA-1.5-7B's Llama decoder cut to 4 of its 32 layers. */
	public static final SyntheticCheckpoint LLAVA_7B_4_LAYERS = new SyntheticCheckpoint("llava", "llava-7b-4-layers",
			"llama", 4096, 11008, 4, 32, 32, 32064, false);

	/** LLaVA-1.6-Mistral-7B (the VL-Cache paper's model): Mistral-7B's decoder cut to 4 layers, any-resolution tiles. */
	public static final SyntheticCheckpoint LLAVA_NEXT_MISTRAL_7B_4_LAYERS = new SyntheticCheckpoint("llava_next",
			"llava-next-mistral-7b-4-layers", "mistral", 4096, 14336, 4, 32, 8, 32064, false);

	/** Qwen2-VL-2B: its whole 28-layer decoder, multimodal rotary positions, tied embeddings. */
	public static final SyntheticCheckpoint QWEN2_VL_2B = new SyntheticCheckpoint("qwen2_vl", "qwen2-vl-2b", "qwen2",
			1536, 8960, 28, 12, 2, 151936, true);

	/**
	 * LLaVA-1.5-7B's whole Llama decoder, 32 layers, written in F16: 28 GB in float32 does not fit a 24 GB machine;
	 * with {@code weights: float16} it loads in 13.5 GB.
	 */
	public static final SyntheticCheckpoint LLAVA_7B = new SyntheticCheckpoint("llava", "llava-7b", "llama", 4096, 11008,
			32, 32, 32, 32064, false, SafetensorsWriter.DType.F16);

	/** The shapes by name. */
	public static final List<SyntheticCheckpoint> SHAPES = List.of(QWEN2_0_5B, LLAVA_7B_4_LAYERS,
			LLAVA_NEXT_MISTRAL_7B_4_LAYERS, QWEN2_VL_2B, LLAVA_7B);

	/** LLaVA-1.6's CLIP ViT-L/14-336 geometry: 336-pixel tiles of 14-pixel patches. */
	static final int TILE = 336;

	static final int TILE_PATCH = 14;

	static final int[][] LLAVA_16_PINPOINTS = { { 336, 672 }, { 672, 336 }, { 672, 672 }, { 1008, 336 }, { 336, 1008 } };

	/** Qwen2-VL's vision width here (the real one is 1280, 32 blocks); head width 16 for its 2-D rotary. */
	static final int QWEN_VISION = 64;

	/** SigLIP-shaped input: 384 px, 16 px patches, 576 image tokens per image (strategy "full"). */
	static final int IMAGE_SIZE = 384;

	static final int PATCH = 16;

	static final int VISION_HIDDEN = 64;

	public Path write(Path dir) throws IOException {
		Files.createDirectories(dir);
		JsonObject text = new JsonObject();
		text.addProperty("model_type", this.decoder);
		text.addProperty("hidden_size", this.hidden);
		text.addProperty("intermediate_size", this.intermediate);
		text.addProperty("num_hidden_layers", this.layers);
		text.addProperty("num_attention_heads", this.heads);
		text.addProperty("num_key_value_heads", this.kvHeads);
		text.addProperty("vocab_size", this.vocab);
		text.addProperty("max_position_embeddings", 32768);
		text.addProperty("rope_theta", 1000000.0);
		text.addProperty("tie_word_embeddings", this.tie);
		if (this.decoder.equals("mistral")) {
			text.add("sliding_window", com.google.gson.JsonNull.INSTANCE);
		}
		JsonObject root = switch (this.family) {
			case "llava" -> llavaConfig(text);
			case "llava_next" -> llavaNextConfig(text);
			case "qwen2_vl" -> qwen2VlConfig(text);
			default -> throw new IllegalArgumentException("unknown family " + this.family);
		};
		Files.writeString(dir.resolve("config.json"), root.toString());
		Files.writeString(dir.resolve("preprocessor_config.json"), preprocessor().toString());
		writeTokenizer(dir);
		SafetensorsWriter.writeDeferred(dir.resolve("model.safetensors"), tensors());
		return dir;
	}

	/** A one-layer CLIP or SigLIP tower of {@code side}-pixel inputs cut into {@code patch}-pixel patches. */
	private static JsonObject smallTower(String type, int side, int patch) {
		JsonObject vision = new JsonObject();
		vision.addProperty("model_type", type);
		vision.addProperty("hidden_size", VISION_HIDDEN);
		vision.addProperty("intermediate_size", 128);
		vision.addProperty("num_hidden_layers", 1);
		vision.addProperty("num_attention_heads", 2);
		vision.addProperty("image_size", side);
		vision.addProperty("patch_size", patch);
		return vision;
	}

	/**
	 * A LLaVA-style config: the decoder in {@code text_config}, a small tower, the last layer's features with
	 * {@code strategy}.
	 */
	private JsonObject llavaStyleConfig(String modelType, JsonObject text, JsonObject vision, String strategy) {
		JsonObject root = new JsonObject();
		root.addProperty("model_type", modelType);
		root.addProperty("image_token_index", imageTokenId());
		root.addProperty("vision_feature_layer", -1);
		root.addProperty("vision_feature_select_strategy", strategy);
		root.add("text_config", text);
		root.add("vision_config", vision);
		return root;
	}

	private JsonObject llavaConfig(JsonObject text) {
		return llavaStyleConfig("llava", text, smallTower("siglip_vision_model", IMAGE_SIZE, PATCH), "full");
	}

	private JsonObject llavaNextConfig(JsonObject text) {
		// "default" drops CLIP's class token, leaving the 24 x 24 grid of each tile.
		JsonObject root = llavaStyleConfig("llava_next", text, smallTower("clip_vision_model", TILE, TILE_PATCH), "default");
		root.add("image_grid_pinpoints", pinpoints());
		return root;
	}

	private JsonObject qwen2VlConfig(JsonObject text) {
		JsonObject root = text.deepCopy();
		root.addProperty("model_type", "qwen2_vl");
		root.addProperty("image_token_id", imageTokenId());
		root.addProperty("vision_start_token_id", imageTokenId() - 2);
		root.addProperty("vision_end_token_id", imageTokenId() - 1);
		JsonObject rope = new JsonObject();
		rope.addProperty("type", "mrope");
		JsonArray sections = new JsonArray();
		// Qwen2-VL's split of the head's rotary frequencies, 2 : 3 : 3 ([16, 24, 24] for 128-wide heads).
		int unit = this.hidden / this.heads / 16;
		sections.add(unit * 2);
		sections.add(unit * 3);
		sections.add(unit * 3);
		rope.add("mrope_section", sections);
		root.add("rope_scaling", rope);
		JsonObject vision = new JsonObject();
		vision.addProperty("depth", 1);
		vision.addProperty("embed_dim", QWEN_VISION);
		vision.addProperty("num_heads", 4);
		vision.addProperty("mlp_ratio", 2);
		vision.addProperty("hidden_size", this.hidden);
		root.add("vision_config", vision);
		return root;
	}

	private static JsonArray pinpoints() {
		JsonArray all = new JsonArray();
		for (int[] p : LLAVA_16_PINPOINTS) {
			JsonArray pair = new JsonArray();
			pair.add(p[0]);
			pair.add(p[1]);
			all.add(pair);
		}
		return all;
	}

	private JsonObject preprocessor() {
		JsonObject pre = new JsonObject();
		switch (this.family) {
			case "llava" -> {
				pre.addProperty("image_processor_type", "SiglipImageProcessor");
				JsonObject size = new JsonObject();
				size.addProperty("height", IMAGE_SIZE);
				size.addProperty("width", IMAGE_SIZE);
				pre.add("size", size);
			}
			case "llava_next" -> {
				pre.addProperty("image_processor_type", "LlavaNextImageProcessor");
				JsonObject size = new JsonObject();
				size.addProperty("shortest_edge", TILE);
				pre.add("size", size);
				JsonObject crop = new JsonObject();
				crop.addProperty("height", TILE);
				crop.addProperty("width", TILE);
				pre.add("crop_size", crop);
				pre.add("image_grid_pinpoints", pinpoints());
			}
			default -> pre.addProperty("image_processor_type", "Qwen2VLImageProcessor");
		}
		return pre;
	}

	/** The last id: {@code <image>}, or Qwen2-VL's {@code <|image_pad|>}. */
	int imageTokenId() {
		return this.vocab - 1;
	}

	/** The image placeholder the family's template writes. */
	private String imageToken() {
		return this.family.equals("qwen2_vl") ? "<|image_pad|>" : "<image>";
	}

	/**
	 * A WordLevel tokenizer whose words are "w0", "w1", ...; the image placeholder is the last id (Qwen2-VL's
	 * vision start and end markers the two before it).
	 */
	private void writeTokenizer(Path dir) throws IOException {
		boolean qwen = this.family.equals("qwen2_vl");
		int words = this.vocab - (qwen ? 3 : 1);
		StringBuilder vocabJson = new StringBuilder("{");
		for (int i = 0; i < words; i++) {
			vocabJson.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
		}
		StringBuilder added = new StringBuilder();
		List<String> specials = qwen ? List.of("<|vision_start|>", "<|vision_end|>", "<|image_pad|>") : List.of("<image>");
		for (int k = 0; k < specials.size(); k++) {
			int id = words + k;
			vocabJson.append(",\"").append(specials.get(k)).append("\":").append(id);
			added.append("{\"id\":").append(id).append(",\"content\":\"").append(specials.get(k))
				.append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},");
		}
		vocabJson.append('}');
		String tokenizer = "{\"version\":\"1.0\",\"added_tokens\":[" + added
				+ "{\"id\":0,\"content\":\"w0\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}],"
				+ "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"WhitespaceSplit\"},\"post_processor\":null,\"decoder\":null,"
				+ "\"model\":{\"type\":\"WordLevel\",\"unk_token\":\"w0\",\"vocab\":" + vocabJson + "}}";
		Files.writeString(dir.resolve("tokenizer.json"), tokenizer);
		JsonObject config = new JsonObject();
		config.addProperty("eos_token", "w0");
		String image = qwen ? "<|vision_start|> <|image_pad|> <|vision_end|> " : imageToken() + " ";
		config.addProperty("chat_template", "{% for m in messages %}w1 {% for c in m['content'] %}{% if c['type'] == 'image' %}"
				+ image + "{% else %}{{ c['text'] }} {% endif %}{% endfor %}{% endfor %}w2");
		Files.writeString(dir.resolve("tokenizer_config.json"), config.toString());
	}

	private List<SafetensorsWriter.Deferred> tensors() {
		SplittableRandom random = new SplittableRandom(42);
		List<SafetensorsWriter.Deferred> out = new ArrayList<>();
		int hd = this.hidden / this.heads;
		boolean qwen = this.family.equals("qwen2_vl");
		String lm = qwen ? "model." : "language_model.model.";
		add(out, random, lm + "embed_tokens.weight", 0.02, this.vocab, this.hidden);
		if (!this.tie) {
			add(out, random, qwen ? "lm_head.weight" : "language_model.lm_head.weight", 0.02, this.vocab, this.hidden);
		}
		ones(out, lm + "norm.weight", this.hidden);
		double scale = 1 / Math.sqrt(this.hidden);
		for (int l = 0; l < this.layers; l++) {
			String p = lm + "layers." + l + ".";
			ones(out, p + "input_layernorm.weight", this.hidden);
			ones(out, p + "post_attention_layernorm.weight", this.hidden);
			add(out, random, p + "self_attn.q_proj.weight", scale, this.heads * hd, this.hidden);
			add(out, random, p + "self_attn.k_proj.weight", scale, this.kvHeads * hd, this.hidden);
			add(out, random, p + "self_attn.v_proj.weight", scale, this.kvHeads * hd, this.hidden);
			add(out, random, p + "self_attn.o_proj.weight", scale, this.hidden, this.heads * hd);
			if (this.decoder.equals("qwen2")) {
				add(out, random, p + "self_attn.q_proj.bias", 0.02, this.heads * hd);
				add(out, random, p + "self_attn.k_proj.bias", 0.02, this.kvHeads * hd);
				add(out, random, p + "self_attn.v_proj.bias", 0.02, this.kvHeads * hd);
			}
			add(out, random, p + "mlp.gate_proj.weight", scale, this.intermediate, this.hidden);
			add(out, random, p + "mlp.up_proj.weight", scale, this.intermediate, this.hidden);
			add(out, random, p + "mlp.down_proj.weight", 1 / Math.sqrt(this.intermediate), this.hidden, this.intermediate);
		}
		if (qwen) {
			qwenVision(out, random, scale);
			return out;
		}
		boolean next = this.family.equals("llava_next");
		int side = next ? TILE : IMAGE_SIZE;
		int patch = next ? TILE_PATCH : PATCH;
		String vm = "vision_tower.vision_model.";
		int positions = (side / patch) * (side / patch) + (next ? 1 : 0);
		add(out, random, vm + "embeddings.patch_embedding.weight", 0.02, VISION_HIDDEN, 3, patch, patch);
		if (next) {
			add(out, random, vm + "embeddings.class_embedding", 0.02, VISION_HIDDEN);
			ones(out, vm + "pre_layrnorm.weight", VISION_HIDDEN);
			add(out, random, vm + "pre_layrnorm.bias", 0.0, VISION_HIDDEN);
			add(out, random, "image_newline", 0.02, this.hidden);
		}
		else {
			add(out, random, vm + "embeddings.patch_embedding.bias", 0.02, VISION_HIDDEN);
		}
		add(out, random, vm + "embeddings.position_embedding.weight", 0.02, positions, VISION_HIDDEN);
		String p = vm + "encoder.layers.0.";
		for (String n : List.of("layer_norm1", "layer_norm2")) {
			ones(out, p + n + ".weight", VISION_HIDDEN);
			add(out, random, p + n + ".bias", 0.0, VISION_HIDDEN);
		}
		for (String n : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
			add(out, random, p + "self_attn." + n + ".weight", 0.1, VISION_HIDDEN, VISION_HIDDEN);
			add(out, random, p + "self_attn." + n + ".bias", 0.0, VISION_HIDDEN);
		}
		add(out, random, p + "mlp.fc1.weight", 0.1, 128, VISION_HIDDEN);
		add(out, random, p + "mlp.fc1.bias", 0.0, 128);
		add(out, random, p + "mlp.fc2.weight", 0.1, VISION_HIDDEN, 128);
		add(out, random, p + "mlp.fc2.bias", 0.0, VISION_HIDDEN);
		add(out, random, "multi_modal_projector.linear_1.weight", 0.1, this.hidden, VISION_HIDDEN);
		add(out, random, "multi_modal_projector.linear_1.bias", 0.0, this.hidden);
		add(out, random, "multi_modal_projector.linear_2.weight", scale, this.hidden, this.hidden);
		add(out, random, "multi_modal_projector.linear_2.bias", 0.0, this.hidden);
		return out;
	}

	/** One block of Qwen2-VL's tower and its merger into the decoder's width. */
	private void qwenVision(List<SafetensorsWriter.Deferred> out, SplittableRandom random, double scale) {
		int e = QWEN_VISION;
		add(out, random, "visual.patch_embed.proj.weight", 0.02, e, 3, 2, 14, 14);
		String p = "visual.blocks.0.";
		for (String n : List.of("norm1", "norm2")) {
			ones(out, p + n + ".weight", e);
			add(out, random, p + n + ".bias", 0.0, e);
		}
		add(out, random, p + "attn.qkv.weight", 0.1, 3 * e, e);
		add(out, random, p + "attn.qkv.bias", 0.0, 3 * e);
		add(out, random, p + "attn.proj.weight", 0.1, e, e);
		add(out, random, p + "attn.proj.bias", 0.0, e);
		add(out, random, p + "mlp.fc1.weight", 0.1, 2 * e, e);
		add(out, random, p + "mlp.fc1.bias", 0.0, 2 * e);
		add(out, random, p + "mlp.fc2.weight", 0.1, e, 2 * e);
		add(out, random, p + "mlp.fc2.bias", 0.0, e);
		ones(out, "visual.merger.ln_q.weight", e);
		add(out, random, "visual.merger.ln_q.bias", 0.0, e);
		add(out, random, "visual.merger.mlp.0.weight", 0.05, 4 * e, 4 * e);
		add(out, random, "visual.merger.mlp.0.bias", 0.0, 4 * e);
		add(out, random, "visual.merger.mlp.2.weight", scale, this.hidden, 4 * e);
		add(out, random, "visual.merger.mlp.2.bias", 0.0, this.hidden);
	}

	private void ones(List<SafetensorsWriter.Deferred> out, String name, int n) {
		out.add(new SafetensorsWriter.Deferred(name, this.storage, new long[] { n }, () -> {
			float[] v = new float[n];
			java.util.Arrays.fill(v, 1f);
			return v;
		}));
	}

	/** A tensor drawn when it is written, from a generator split off now: the same values whatever the order. */
	private void add(List<SafetensorsWriter.Deferred> out, SplittableRandom random, String name, double scale,
			long... shape) {
		long count = 1;
		for (long s : shape) {
			count *= s;
		}
		int n = Math.toIntExact(count);
		SplittableRandom own = random.split();
		out.add(new SafetensorsWriter.Deferred(name, this.storage, shape, () -> {
			float[] v = new float[n];
			for (int i = 0; i < v.length; i++) {
				// Uniform with the given standard deviation: cheap to draw for hundreds of millions of weights.
				v[i] = (float) ((own.nextDouble() * 2 - 1) * scale * 1.7320508);
			}
			return v;
		}));
	}

}
