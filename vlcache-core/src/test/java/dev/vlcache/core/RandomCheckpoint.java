package dev.vlcache.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import com.google.gson.JsonObject;

import dev.vlcache.testsupport.SafetensorsWriter;

/**
 * Writes small randomly initialised LLaVA checkpoints of any supported family, with the fixture's tokenizer and
 * template, for tests of the families the shared fixture does not cover.
 */
public final class RandomCheckpoint {

	private final JsonObject text = new JsonObject();

	private final JsonObject vision = new JsonObject();

	private final JsonObject root = new JsonObject();

	private final JsonObject preprocessor = new JsonObject();

	private long seed = 1;

	public RandomCheckpoint(String decoder, String tower) {
		this.root.addProperty("model_type", "llava");
		this.root.addProperty("image_token_index", 150);
		this.root.addProperty("vision_feature_layer", -1);
		this.root.addProperty("vision_feature_select_strategy", "full");
		this.text.addProperty("model_type", decoder);
		this.text.addProperty("vocab_size", 160);
		this.text.addProperty("hidden_size", 64);
		this.text.addProperty("intermediate_size", 96);
		this.text.addProperty("num_hidden_layers", 2);
		this.text.addProperty("num_attention_heads", 4);
		this.text.addProperty("num_key_value_heads", 2);
		this.text.addProperty("max_position_embeddings", 512);
		this.text.addProperty("rms_norm_eps", 1e-6);
		this.vision.addProperty("model_type", tower);
		this.vision.addProperty("hidden_size", 32);
		this.vision.addProperty("intermediate_size", 48);
		this.vision.addProperty("num_attention_heads", 2);
		this.vision.addProperty("num_hidden_layers", 2);
		this.vision.addProperty("image_size", 32);
		this.vision.addProperty("patch_size", 8);
		boolean siglip = tower.startsWith("siglip");
		this.preprocessor.addProperty("image_processor_type", siglip ? "SiglipImageProcessor" : "CLIPImageProcessor");
		JsonObject size = new JsonObject();
		if (siglip) {
			size.addProperty("height", 32);
			size.addProperty("width", 32);
		}
		else {
			size.addProperty("shortest_edge", 32);
			JsonObject crop = new JsonObject();
			crop.addProperty("height", 32);
			crop.addProperty("width", 32);
			this.preprocessor.add("crop_size", crop);
		}
		this.preprocessor.add("size", size);
	}

	public RandomCheckpoint text(String key, Number value) {
		this.text.addProperty(key, value);
		return this;
	}

	public RandomCheckpoint root(String key, Object value) {
		if (value instanceof Number n) {
			this.root.addProperty(key, n);
		}
		else {
			this.root.addProperty(key, value.toString());
		}
		return this;
	}

	public RandomCheckpoint seed(long seed) {
		this.seed = seed;
		return this;
	}

	public Path write(Path dir) throws IOException {
		this.root.add("text_config", this.text);
		this.root.add("vision_config", this.vision);
		Files.writeString(dir.resolve("config.json"), this.root.toString());
		Files.writeString(dir.resolve("preprocessor_config.json"), this.preprocessor.toString());
		Path fixture = Fixtures.first();
		Files.copy(fixture.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
		Files.copy(fixture.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
		SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors());
		return dir;
	}

	private int t(String key) {
		return this.text.get(key).getAsInt();
	}

	private int v(String key) {
		return this.vision.get(key).getAsInt();
	}

	private List<SafetensorsWriter.Tensor> tensors() {
		SplittableRandom random = new SplittableRandom(this.seed);
		List<SafetensorsWriter.Tensor> out = new ArrayList<>();
		String decoder = this.text.get("model_type").getAsString();
		boolean siglip = this.vision.get("model_type").getAsString().startsWith("siglip");
		int d = t("hidden_size");
		int heads = t("num_attention_heads");
		int kv = t("num_key_value_heads");
		int hd = this.text.has("head_dim") ? t("head_dim") : d / heads;
		int f = t("intermediate_size");
		int vocab = t("vocab_size");
		int vd = v("hidden_size");
		int vf = v("intermediate_size");
		int patch = v("patch_size");
		int patches = (v("image_size") / patch) * (v("image_size") / patch);
		String lm = "language_model.model.";
		add(out, random, "language_model.lm_head.weight", vocab, d);
		add(out, random, lm + "embed_tokens.weight", vocab, d);
		add(out, random, lm + "norm.weight", d);
		for (int l = 0; l < t("num_hidden_layers"); l++) {
			String p = lm + "layers." + l + ".";
			add(out, random, p + "input_layernorm.weight", d);
			add(out, random, p + "post_attention_layernorm.weight", d);
			add(out, random, p + "self_attn.q_proj.weight", heads * hd, d);
			add(out, random, p + "self_attn.k_proj.weight", kv * hd, d);
			add(out, random, p + "self_attn.v_proj.weight", kv * hd, d);
			add(out, random, p + "self_attn.o_proj.weight", d, heads * hd);
			if (decoder.equals("qwen2")) {
				add(out, random, p + "self_attn.q_proj.bias", heads * hd);
				add(out, random, p + "self_attn.k_proj.bias", kv * hd);
				add(out, random, p + "self_attn.v_proj.bias", kv * hd);
			}
			add(out, random, p + "mlp.gate_proj.weight", f, d);
			add(out, random, p + "mlp.up_proj.weight", f, d);
			add(out, random, p + "mlp.down_proj.weight", d, f);
		}
		String vm = "vision_tower.vision_model.";
		add(out, random, vm + "embeddings.patch_embedding.weight", vd, 3, patch, patch);
		add(out, random, vm + "embeddings.position_embedding.weight", patches + (siglip ? 0 : 1), vd);
		if (siglip) {
			add(out, random, vm + "embeddings.patch_embedding.bias", vd);
		}
		else {
			add(out, random, vm + "embeddings.class_embedding", vd);
			add(out, random, vm + "pre_layrnorm.weight", vd);
			add(out, random, vm + "pre_layrnorm.bias", vd);
		}
		for (int l = 0; l < v("num_hidden_layers"); l++) {
			String p = vm + "encoder.layers." + l + ".";
			for (String n : List.of("layer_norm1", "layer_norm2")) {
				add(out, random, p + n + ".weight", vd);
				add(out, random, p + n + ".bias", vd);
			}
			for (String n : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
				add(out, random, p + "self_attn." + n + ".weight", vd, vd);
				add(out, random, p + "self_attn." + n + ".bias", vd);
			}
			add(out, random, p + "mlp.fc1.weight", vf, vd);
			add(out, random, p + "mlp.fc1.bias", vf);
			add(out, random, p + "mlp.fc2.weight", vd, vf);
			add(out, random, p + "mlp.fc2.bias", vd);
		}
		add(out, random, "multi_modal_projector.linear_1.weight", d, vd);
		add(out, random, "multi_modal_projector.linear_1.bias", d);
		add(out, random, "multi_modal_projector.linear_2.weight", d, d);
		add(out, random, "multi_modal_projector.linear_2.bias", d);
		return out;
	}

	private static void add(List<SafetensorsWriter.Tensor> out, SplittableRandom random, String name, long... shape) {
		long count = 1;
		for (long s : shape) {
			count *= s;
		}
		float[] values = new float[(int) count];
		boolean norm = name.contains("norm") && name.endsWith("weight");
		for (int i = 0; i < values.length; i++) {
			values[i] = norm ? (float) (1 + 0.1 * random.nextGaussian()) : (float) (0.2 * random.nextGaussian());
		}
		out.add(new SafetensorsWriter.Tensor(name, SafetensorsWriter.DType.F32, shape, values));
	}

}
