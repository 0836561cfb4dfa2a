package dev.vlcache.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import com.google.gson.JsonObject;

import dev.vlcache.testsupport.SafetensorsWriter;

/**
 * A randomly initialised LLaVA checkpoint of a realistic decoder shape, written in the ordinary Hugging Face
 * layout (config, safetensors, WordLevel tokenizer, chat template, SigLIP preprocessor) and loaded by the same
 * loader as any checkpoint. Weights are random, so only speed and memory mean anything.
 *
 * @param name label
 * @param decoder llama, mistral or qwen2
 * @param hidden model width
 * @param intermediate MLP width
 * @param layers decoder layers
 * @param heads query heads
 * @param kvHeads key/value heads
 * @param vocab vocabulary size
 * @param tie whether the LM head is tied to the embeddings
 */
public record SyntheticCheckpoint(String name, String decoder, int hidden, int intermediate, int layers, int heads,
		int kvHeads, int vocab, boolean tie) {

	/** Qwen2-0.5B's decoder. */
	public static final SyntheticCheckpoint QWEN2_0_5B = new SyntheticCheckpoint("qwen2-0.5b", "qwen2", 896, 4864, 24,
			14, 2, 151936, true);

	/** LLaVA-1.5-7B's Llama decoder cut to 4 of its 32 layers. */
	public static final SyntheticCheckpoint LLAVA_7B_4_LAYERS = new SyntheticCheckpoint("llava-7b-4-layers", "llama",
			4096, 11008, 4, 32, 32, 32064, false);

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
		JsonObject vision = new JsonObject();
		vision.addProperty("model_type", "siglip_vision_model");
		vision.addProperty("hidden_size", VISION_HIDDEN);
		vision.addProperty("intermediate_size", 128);
		vision.addProperty("num_hidden_layers", 1);
		vision.addProperty("num_attention_heads", 2);
		vision.addProperty("image_size", IMAGE_SIZE);
		vision.addProperty("patch_size", PATCH);
		JsonObject root = new JsonObject();
		root.addProperty("model_type", "llava");
		root.addProperty("image_token_index", imageTokenId());
		root.addProperty("vision_feature_layer", -1);
		root.addProperty("vision_feature_select_strategy", "full");
		root.add("text_config", text);
		root.add("vision_config", vision);
		Files.writeString(dir.resolve("config.json"), root.toString());
		JsonObject pre = new JsonObject();
		pre.addProperty("image_processor_type", "SiglipImageProcessor");
		JsonObject size = new JsonObject();
		size.addProperty("height", IMAGE_SIZE);
		size.addProperty("width", IMAGE_SIZE);
		pre.add("size", size);
		Files.writeString(dir.resolve("preprocessor_config.json"), pre.toString());
		writeTokenizer(dir);
		SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors());
		return dir;
	}

	int imageTokenId() {
		return this.vocab - 1;
	}

	/** A WordLevel tokenizer whose words are "w0", "w1", ...; "&lt;image&gt;" is the last id. */
	private void writeTokenizer(Path dir) throws IOException {
		StringBuilder vocabJson = new StringBuilder("{");
		for (int i = 0; i < this.vocab - 1; i++) {
			vocabJson.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
		}
		vocabJson.append(",\"<image>\":").append(imageTokenId()).append('}');
		String tokenizer = "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":" + imageTokenId()
				+ ",\"content\":\"<image>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
				+ "{\"id\":0,\"content\":\"w0\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}],"
				+ "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"WhitespaceSplit\"},\"post_processor\":null,\"decoder\":null,"
				+ "\"model\":{\"type\":\"WordLevel\",\"unk_token\":\"w0\",\"vocab\":" + vocabJson + "}}";
		Files.writeString(dir.resolve("tokenizer.json"), tokenizer);
		JsonObject config = new JsonObject();
		config.addProperty("eos_token", "w0");
		config.addProperty("chat_template",
				"{% for m in messages %}w1 {% for c in m['content'] %}{% if c['type'] == 'image' %}<image> {% else %}{{ c['text'] }} {% endif %}{% endfor %}{% endfor %}w2");
		Files.writeString(dir.resolve("tokenizer_config.json"), config.toString());
	}

	private List<SafetensorsWriter.Tensor> tensors() {
		SplittableRandom random = new SplittableRandom(42);
		List<SafetensorsWriter.Tensor> out = new ArrayList<>();
		int hd = this.hidden / this.heads;
		String lm = "language_model.model.";
		add(out, random, lm + "embed_tokens.weight", 0.02, this.vocab, this.hidden);
		if (!this.tie) {
			add(out, random, "language_model.lm_head.weight", 0.02, this.vocab, this.hidden);
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
		String vm = "vision_tower.vision_model.";
		int patches = (IMAGE_SIZE / PATCH) * (IMAGE_SIZE / PATCH);
		add(out, random, vm + "embeddings.patch_embedding.weight", 0.02, VISION_HIDDEN, 3, PATCH, PATCH);
		add(out, random, vm + "embeddings.patch_embedding.bias", 0.02, VISION_HIDDEN);
		add(out, random, vm + "embeddings.position_embedding.weight", 0.02, patches, VISION_HIDDEN);
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

	private static void ones(List<SafetensorsWriter.Tensor> out, String name, int n) {
		float[] v = new float[n];
		java.util.Arrays.fill(v, 1f);
		out.add(new SafetensorsWriter.Tensor(name, SafetensorsWriter.DType.F32, new long[] { n }, v));
	}

	private static void add(List<SafetensorsWriter.Tensor> out, SplittableRandom random, String name, double scale,
			long... shape) {
		long count = 1;
		for (long s : shape) {
			count *= s;
		}
		float[] v = new float[Math.toIntExact(count)];
		for (int i = 0; i < v.length; i++) {
			// Uniform with the given standard deviation: cheap to draw for hundreds of millions of weights.
			v[i] = (float) ((random.nextDouble() * 2 - 1) * scale * 1.7320508);
		}
		out.add(new SafetensorsWriter.Tensor(name, SafetensorsWriter.DType.F32, shape, v));
	}

}
