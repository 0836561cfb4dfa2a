package dev.vlcache.core.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.core.Fixtures;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.text.AttentionObserver;
import dev.vlcache.core.tokenizer.EncodedPrompt;
import dev.vlcache.testsupport.SafetensorsWriter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The loader on the checkpoint shapes people actually have, built from the shared fixture: the newer llava-hf
 * layout, sharded files with an index, F16 and BF16 weights, tied embeddings; and every kind of broken folder.
 */
class CheckpointVariantsTest {

	private static Path fixture;

	private static List<TensorEntry> entries;

	private static float[] referenceLogits;

	private static float[] pixels;

	private static long[] pixelShape;

	@BeforeAll
	static void read() {
		fixture = Fixtures.first();
		entries = SafetensorsFile.readEntries(fixture.resolve("model.safetensors"));
		for (TensorEntry e : SafetensorsFile.readEntries(fixture.resolve("expected.safetensors"))) {
			if (e.name().equals("prompt_logits")) {
				referenceLogits = SafetensorsFile.readFloats(e);
			}
			if (e.name().equals("pixel_values")) {
				pixels = SafetensorsFile.readFloats(e);
				pixelShape = e.shape();
			}
		}
	}

	/** Copies the fixture's non-weight files and writes its weights renamed, converted and split as asked. */
	private static Path variant(Path dir, SafetensorsWriter.DType dtype, int shards, UnaryOperator<String> rename) throws IOException {
		return variant(dir, dtype, shards, rename, UnaryOperator.identity());
	}

	private static Path variant(Path dir, SafetensorsWriter.DType dtype, int shards, UnaryOperator<String> rename,
			UnaryOperator<float[]> values) throws IOException {
		for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json")) {
			Files.copy(fixture.resolve(f), dir.resolve(f));
		}
		List<List<SafetensorsWriter.Tensor>> parts = new ArrayList<>();
		for (int i = 0; i < shards; i++) {
			parts.add(new ArrayList<>());
		}
		for (int i = 0; i < entries.size(); i++) {
			TensorEntry e = entries.get(i);
			String name = rename.apply(e.name());
			if (name != null) {
				parts.get(i * shards / entries.size())
					.add(new SafetensorsWriter.Tensor(name, dtype, e.shape(), values.apply(SafetensorsFile.readFloats(e))));
			}
		}
		if (shards == 1) {
			SafetensorsWriter.write(dir.resolve("model.safetensors"), parts.get(0));
			return dir;
		}
		JsonObject weightMap = new JsonObject();
		for (int s = 0; s < shards; s++) {
			String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
			SafetensorsWriter.write(dir.resolve(file), parts.get(s));
			for (SafetensorsWriter.Tensor t : parts.get(s)) {
				weightMap.addProperty(t.name(), file);
			}
		}
		JsonObject index = new JsonObject();
		index.add("metadata", new JsonObject());
		index.add("weight_map", weightMap);
		Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
		return dir;
	}

	private static String newerLayout(String name) {
		if (name.startsWith("language_model.model.")) {
			return "model.language_model." + name.substring("language_model.model.".length());
		}
		if (name.startsWith("language_model.lm_head.")) {
			return name.substring("language_model.".length());
		}
		return "model." + name;
	}

	private static float[] promptLogits(Path folder) {
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"));
				NDManager scope = model.newRequestManager()) {
			EncodedPrompt prompt = model.promptEncoder().encode(List.of(ChatMessage.user("what color is the circle ?", 1)),
					true, 0);
			KvCache cache = model.newCache(scope, prompt.length());
			NDArray features = model.imageFeatures(scope.create(pixels, new Shape(pixelShape)));
			return model.forward(scope, model.inputEmbeddings(scope, prompt, features), cache, 0, AttentionObserver.NONE, true)
				.toFloatArray();
		}
	}

	private static double maxAbsDiff(float[] a, float[] b) {
		double worst = 0;
		for (int i = 0; i < a.length; i++) {
			worst = Math.max(worst, Math.abs(a[i] - b[i]));
		}
		return worst;
	}

	@Test
	void newerLayoutShardedF32MatchesTheReference(@TempDir Path dir) throws IOException {
		float[] logits = promptLogits(variant(dir, SafetensorsWriter.DType.F32, 3, CheckpointVariantsTest::newerLayout));
		for (int i = 0; i < logits.length; i++) {
			assertThat((double) Math.abs(logits[i] - referenceLogits[i]))
				.isLessThanOrEqualTo(1e-3 + 1e-3 * Math.abs(referenceLogits[i]));
		}
	}

	@Test
	void bf16ShardsAreWidenedExactlyWhileLoading(@TempDir Path bf16, @TempDir Path rounded) throws IOException {
		float[] logits = promptLogits(variant(bf16, SafetensorsWriter.DType.BF16, 2, UnaryOperator.identity()));
		// The same values, rounded to bfloat16 in Java and stored as F32: loading must give the same numbers.
		float[] expected = promptLogits(variant(rounded, SafetensorsWriter.DType.F32, 1, UnaryOperator.identity(),
				v -> map(v, x -> Float.intBitsToFloat((SafetensorsWriter.toBfloat16((float) x) & 0xFFFF) << 16))));
		assertThat(maxAbsDiff(logits, expected)).isLessThan(1e-5);
		assertThat(maxAbsDiff(logits, referenceLogits)).isGreaterThan(0);
	}

	@Test
	void f16WeightsLoadExactly(@TempDir Path f16, @TempDir Path rounded) throws IOException {
		float[] logits = promptLogits(variant(f16, SafetensorsWriter.DType.F16, 1, UnaryOperator.identity()));
		float[] expected = promptLogits(variant(rounded, SafetensorsWriter.DType.F32, 1, UnaryOperator.identity(),
				v -> map(v, x -> halfToFloat(SafetensorsWriter.toHalf((float) x)))));
		assertThat(maxAbsDiff(logits, expected)).isLessThan(1e-5);
	}

	private static float[] map(float[] v, java.util.function.DoubleUnaryOperator f) {
		float[] out = new float[v.length];
		for (int i = 0; i < v.length; i++) {
			out[i] = (float) f.applyAsDouble(v[i]);
		}
		return out;
	}

	private static float halfToFloat(short h) {
		int bits = h & 0xFFFF;
		int sign = (bits & 0x8000) != 0 ? -1 : 1;
		int exp = (bits >>> 10) & 0x1F;
		int mantissa = bits & 0x3FF;
		if (exp == 0) {
			return sign * mantissa * (float) Math.pow(2, -24);
		}
		return sign * (1 + mantissa / 1024f) * (float) Math.pow(2, exp - 15);
	}

	@Test
	void tiedEmbeddingsReuseTheTokenEmbeddings(@TempDir Path tied, @TempDir Path explicit) throws IOException {
		variant(tied, SafetensorsWriter.DType.F32, 1, n -> n.contains("lm_head") ? null : n);
		setTie(tied);
		// The same checkpoint with an lm_head equal to the embeddings must give identical logits.
		variant(explicit, SafetensorsWriter.DType.F32, 1, n -> n.contains("lm_head") ? null : n);
		List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
		for (TensorEntry e : SafetensorsFile.readEntries(explicit.resolve("model.safetensors"))) {
			tensors.add(new SafetensorsWriter.Tensor(e.name(), SafetensorsWriter.DType.F32, e.shape(), SafetensorsFile.readFloats(e)));
			if (e.name().endsWith("embed_tokens.weight")) {
				tensors.add(new SafetensorsWriter.Tensor("language_model.lm_head.weight", SafetensorsWriter.DType.F32, e.shape(),
						SafetensorsFile.readFloats(e)));
			}
		}
		SafetensorsWriter.write(explicit.resolve("model.safetensors"), tensors);
		assertThat(promptLogits(tied)).containsExactly(promptLogits(explicit));
	}

	@Test
	void missingLmHeadWithoutTyingNamesTheTensor(@TempDir Path dir) throws IOException {
		variant(dir, SafetensorsWriter.DType.F32, 1, n -> n.contains("lm_head") ? null : n);
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("lm_head.weight");
	}

	private static void setTie(Path dir) throws IOException {
		JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
		config.getAsJsonObject("text_config").addProperty("tie_word_embeddings", true);
		Files.writeString(dir.resolve("config.json"), config.toString());
	}

	@Test
	void truncatedWeightsAreReportedWithTheFile(@TempDir Path dir) throws IOException {
		variant(dir, SafetensorsWriter.DType.F32, 1, UnaryOperator.identity());
		Path file = dir.resolve("model.safetensors");
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
			ch.truncate(ch.size() - 100);
		}
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("Truncated safetensors file")
			.hasMessageContaining("model.safetensors");
	}

	@Test
	void malformedHeaderIsReported(@TempDir Path dir) throws IOException {
		variant(dir, SafetensorsWriter.DType.F32, 1, UnaryOperator.identity());
		byte[] bytes = Files.readAllBytes(dir.resolve("model.safetensors"));
		bytes[8] = 'x';
		bytes[9] = '{';
		Files.write(dir.resolve("model.safetensors"), bytes);
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("Malformed safetensors header");
		Files.write(dir.resolve("model.safetensors"), new byte[] { 1, 2, 3 });
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("shorter than the 8-byte header");
	}

	@Test
	void wrongShapeNamesTensorAndExpectation(@TempDir Path dir) throws IOException {
		variant(dir, SafetensorsWriter.DType.F32, 1, UnaryOperator.identity());
		List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
		for (TensorEntry e : SafetensorsFile.readEntries(dir.resolve("model.safetensors"))) {
			float[] v = SafetensorsFile.readFloats(e);
			long[] shape = e.shape();
			if (e.name().equals("language_model.model.layers.1.self_attn.k_proj.weight")) {
				shape = new long[] { shape[1], shape[0] };
			}
			tensors.add(new SafetensorsWriter.Tensor(e.name(), SafetensorsWriter.DType.F32, shape, v));
		}
		SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("language_model.model.layers.1.self_attn.k_proj.weight")
			.hasMessageContaining("[64, 32]")
			.hasMessageContaining("expected [32, 64]");
	}

	@Test
	void missingFilesAndUnknownTypesAreNamed(@TempDir Path dir) throws IOException {
		variant(dir, SafetensorsWriter.DType.F32, 2, UnaryOperator.identity());
		Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).hasMessageContaining("Missing shard")
			.hasMessageContaining("model-00002-of-00002.safetensors");
		Files.delete(dir.resolve("tokenizer.json"));
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).hasMessageContaining("tokenizer.json");
		String config = Files.readString(dir.resolve("config.json"));
		Files.writeString(dir.resolve("config.json"), config.replace("\"llava\"", "\"idefics\""));
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).hasMessageContaining("Unsupported model_type 'idefics'");
		Files.writeString(dir.resolve("config.json"), config.replace("\"llama\"", "\"gpt2\""));
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).hasMessageContaining("text_config.model_type 'gpt2'");
		Files.delete(dir.resolve("config.json"));
		assertThatThrownBy(() -> LlavaModel.load(dir, ModelOptions.DEFAULT)).isInstanceOf(CheckpointException.class)
			.hasMessageContaining("Missing config.json");
		assertThatThrownBy(() -> LlavaModel.load(dir.resolve("nope"), ModelOptions.DEFAULT))
			.hasMessageContaining("does not exist");
	}

}
