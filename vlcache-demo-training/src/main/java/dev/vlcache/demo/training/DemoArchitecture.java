package dev.vlcache.demo.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.TaskVocabulary;

/**
 * The demo model's shape and every file of its checkpoint but the weights: a SigLIP vision tower with one patch
 * per grid cell (256 image tokens per page), LLaVA's two-layer projector and a small Llama decoder, with a
 * word-level tokenizer over the task's vocabulary and a chat template that puts the answer right after the
 * question.
 *
 * @param visionHidden vision width
 * @param visionIntermediate vision MLP width
 * @param visionHeads vision attention heads
 * @param visionLayers vision encoder layers
 * @param hidden decoder width
 * @param intermediate decoder MLP width
 * @param layers decoder layers
 * @param heads decoder attention heads (as many key/value heads)
 */
public record DemoArchitecture(int visionHidden, int visionIntermediate, int visionHeads, int visionLayers, int hidden,
		int intermediate, int layers, int heads) {

	/** The shipped demo model. */
	public static final DemoArchitecture DEFAULT = new DemoArchitecture(96, 192, 4, 1, 128, 256, 4, 4);

	/**
	 * The chat template: {@code USER: <image>\n... question} then the answer and {@code </s>}, with no assistant
	 * prefix: the question's last word (which names the object asked about) is the position the answer is read
	 * from, one attention hop from the object's image token. Question marks and full stops are dropped by the
	 * tokenizer's normalizer for the same reason.
	 */
	static final String CHAT_TEMPLATE = "{% for message in messages %}"
			+ "{% if message['role'] == 'user' %}USER: "
			+ "{% for item in message['content'] %}{% if item['type'] == 'image' %}<image>\n{% endif %}{% endfor %}"
			+ "{% for item in message['content'] %}{% if item['type'] == 'text' %}{{ item['text'] }}{% endif %}{% endfor %}"
			+ "{% elif message['role'] == 'assistant' %} "
			+ "{% for item in message['content'] %}{% if item['type'] == 'text' %}{{ item['text'] }}{% endif %}{% endfor %}"
			+ "</s>\n{% endif %}{% endfor %}";

	public int vocabSize() {
		return TaskVocabulary.words().size();
	}

	public int imageTokenId() {
		return TaskVocabulary.words().indexOf(TaskVocabulary.IMAGE);
	}

	public int eosTokenId() {
		return TaskVocabulary.words().indexOf(TaskVocabulary.EOS);
	}

	/** Writes config, tokenizer, chat template and preprocessor files into {@code dir}. */
	public void writeFiles(Path dir) throws IOException {
		Files.createDirectories(dir);
		JsonObject text = new JsonObject();
		text.addProperty("model_type", "llama");
		text.addProperty("hidden_size", this.hidden);
		text.addProperty("intermediate_size", this.intermediate);
		text.addProperty("num_hidden_layers", this.layers);
		text.addProperty("num_attention_heads", this.heads);
		text.addProperty("num_key_value_heads", this.heads);
		text.addProperty("vocab_size", vocabSize());
		text.addProperty("max_position_embeddings", 2048);
		text.addProperty("rms_norm_eps", 1e-5);
		text.addProperty("rope_theta", 1000000.0);
		text.addProperty("hidden_act", "silu");
		// Tied: stage 1 aligns image tokens with these embeddings, so an attended shape's words read out directly.
		text.addProperty("tie_word_embeddings", true);
		text.addProperty("bos_token_id", 1);
		text.addProperty("eos_token_id", eosTokenId());
		text.addProperty("pad_token_id", 0);
		JsonObject vision = new JsonObject();
		vision.addProperty("model_type", "siglip_vision_model");
		vision.addProperty("hidden_size", this.visionHidden);
		vision.addProperty("intermediate_size", this.visionIntermediate);
		vision.addProperty("num_hidden_layers", this.visionLayers);
		vision.addProperty("num_attention_heads", this.visionHeads);
		vision.addProperty("image_size", Scene.SIZE);
		vision.addProperty("patch_size", Scene.CELL);
		// Exact GELU is one libtorch operation with its own backward; the tanh form, composed of several operations,
		// turned the vision MLP's gradients NaN at random steps (57 to 209) in early training runs.
		vision.addProperty("hidden_act", "gelu");
		vision.addProperty("layer_norm_eps", 1e-6);
		vision.addProperty("vision_use_head", false);
		JsonObject root = new JsonObject();
		JsonArray architectures = new JsonArray();
		architectures.add("LlavaForConditionalGeneration");
		root.add("architectures", architectures);
		root.addProperty("model_type", "llava");
		root.addProperty("image_token_index", imageTokenId());
		root.addProperty("projector_hidden_act", "gelu");
		root.addProperty("vision_feature_layer", -1);
		root.addProperty("vision_feature_select_strategy", "full");
		root.addProperty("image_seq_length", Scene.CELLS * Scene.CELLS);
		root.add("text_config", text);
		root.add("vision_config", vision);
		write(dir.resolve("config.json"), root);

		JsonObject generation = new JsonObject();
		generation.addProperty("bos_token_id", 1);
		generation.addProperty("eos_token_id", eosTokenId());
		generation.addProperty("pad_token_id", 0);
		write(dir.resolve("generation_config.json"), generation);

		JsonObject pre = new JsonObject();
		pre.addProperty("image_processor_type", "SiglipImageProcessor");
		pre.addProperty("do_resize", true);
		JsonObject size = new JsonObject();
		size.addProperty("height", Scene.SIZE);
		size.addProperty("width", Scene.SIZE);
		pre.add("size", size);
		pre.addProperty("resample", 3);
		pre.addProperty("do_rescale", true);
		pre.addProperty("rescale_factor", 1 / 255.0);
		pre.addProperty("do_normalize", true);
		JsonArray half = new JsonArray();
		half.add(0.5);
		half.add(0.5);
		half.add(0.5);
		pre.add("image_mean", half);
		pre.add("image_std", half);
		write(dir.resolve("preprocessor_config.json"), pre);

		writeTokenizer(dir);
	}

	private void writeTokenizer(Path dir) throws IOException {
		List<String> words = TaskVocabulary.words();
		JsonObject vocab = new JsonObject();
		for (int i = 0; i < words.size(); i++) {
			vocab.addProperty(words.get(i), i);
		}
		JsonArray added = new JsonArray();
		for (String special : List.of(TaskVocabulary.UNKNOWN, TaskVocabulary.BOS, TaskVocabulary.EOS,
				TaskVocabulary.IMAGE)) {
			JsonObject t = new JsonObject();
			t.addProperty("id", words.indexOf(special));
			t.addProperty("content", special);
			t.addProperty("single_word", false);
			t.addProperty("lstrip", false);
			t.addProperty("rstrip", false);
			t.addProperty("normalized", false);
			t.addProperty("special", true);
			added.add(t);
		}
		JsonObject model = new JsonObject();
		model.addProperty("type", "WordLevel");
		model.add("vocab", vocab);
		model.addProperty("unk_token", TaskVocabulary.UNKNOWN);
		JsonObject lowercase = new JsonObject();
		lowercase.addProperty("type", "Lowercase");
		JsonObject dropPunctuation = new JsonObject();
		dropPunctuation.addProperty("type", "Replace");
		JsonObject pattern = new JsonObject();
		pattern.addProperty("Regex", "[?.!]");
		dropPunctuation.add("pattern", pattern);
		dropPunctuation.addProperty("content", " ");
		JsonArray steps = new JsonArray();
		steps.add(lowercase);
		steps.add(dropPunctuation);
		JsonObject normalizer = new JsonObject();
		normalizer.addProperty("type", "Sequence");
		normalizer.add("normalizers", steps);
		JsonObject preTokenizer = new JsonObject();
		preTokenizer.addProperty("type", "Whitespace");
		// WordPiece's decoder joins words with spaces and, with cleanup, removes the space before punctuation.
		JsonObject decoder = new JsonObject();
		decoder.addProperty("type", "WordPiece");
		decoder.addProperty("prefix", "##");
		decoder.addProperty("cleanup", true);
		JsonObject tokenizer = new JsonObject();
		tokenizer.addProperty("version", "1.0");
		tokenizer.add("truncation", null);
		tokenizer.add("padding", null);
		tokenizer.add("added_tokens", added);
		tokenizer.add("normalizer", normalizer);
		tokenizer.add("pre_tokenizer", preTokenizer);
		tokenizer.add("post_processor", null);
		tokenizer.add("decoder", decoder);
		tokenizer.add("model", model);
		write(dir.resolve("tokenizer.json"), tokenizer);

		JsonObject config = new JsonObject();
		config.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
		config.addProperty("bos_token", TaskVocabulary.BOS);
		config.addProperty("eos_token", TaskVocabulary.EOS);
		config.addProperty("unk_token", TaskVocabulary.UNKNOWN);
		config.addProperty("pad_token", TaskVocabulary.UNKNOWN);
		config.addProperty("model_max_length", 2048);
		config.addProperty("chat_template", CHAT_TEMPLATE);
		write(dir.resolve("tokenizer_config.json"), config);
	}

	private static void write(Path file, JsonObject json) throws IOException {
		Files.writeString(file, new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(json) + "\n");
	}

}
