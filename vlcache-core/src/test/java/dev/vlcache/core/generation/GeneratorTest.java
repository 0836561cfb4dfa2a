package dev.vlcache.core.generation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.vlcache.core.Fixtures;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.compression.ScoringWindow;
import dev.vlcache.core.image.ImageException;
import dev.vlcache.core.template.ChatMessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Whole requests through {@link Generator} on the first shared fixture. */
class GeneratorTest {

	private static LlavaModel model;

	private static Generator generator;

	private static JsonObject expected;

	private static byte[] image;

	@BeforeAll
	static void load() throws IOException {
		Path folder = Fixtures.first();
		model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"));
		generator = new Generator(model);
		expected = JsonParser.parseString(Files.readString(folder.resolve("expected.json"))).getAsJsonObject();
		image = Files.readAllBytes(folder.resolve(expected.getAsJsonArray("images").get(0).getAsString()));
	}

	@AfterAll
	static void close() {
		model.close();
	}

	private static GenerationRequest request(SamplingOptions sampling, CompressionOptions compression) {
		return new GenerationRequest(List.of(ChatMessage.user(expected.get("messages_text").getAsString(), 1)),
				List.of(new ImageInput("image0.png", image)), sampling, compression);
	}

	private static SamplingOptions greedy(int tokens) {
		return SamplingOptions.builder().maxNewTokens(tokens).stopOnEos(false).build();
	}

	@Test
	void greedyFullCacheReproducesReferenceTokens() {
		int n = expected.getAsJsonArray("greedy_tokens_full_cache").size();
		GenerationResult result = generator.generate(request(greedy(n), CompressionOptions.FULL));
		int[] reference = new int[n];
		for (int i = 0; i < n; i++) {
			reference[i] = expected.getAsJsonArray("greedy_tokens_full_cache").get(i).getAsInt();
		}
		assertThat(result.tokenIds()).containsExactly(reference);
		assertThat(result.finishReason()).isEqualTo(FinishReason.LENGTH);
		assertThat(result.promptTokens()).isEqualTo(expected.getAsJsonArray("input_ids").size());
		assertThat(result.compression().retainedRatio()).isEqualTo(1.0);
	}

	@Test
	void vlCacheRequestDecodesOnCompressedCache() {
		JsonObject vl = expected.getAsJsonObject("vlcache");
		int n = vl.getAsJsonArray("greedy_tokens").size();
		CompressionOptions options = CompressionOptions.builder()
			.budgetRatio(vl.get("budget_ratio").getAsDouble())
			.scoringWindow(ScoringWindow.AUTO)
			.build();
		GenerationResult result = generator.generate(request(greedy(n), options));
		for (int i = 0; i < n; i++) {
			assertThat(result.tokenIds()[i]).as("token %d", i).isEqualTo(vl.getAsJsonArray("greedy_tokens").get(i).getAsInt());
		}
		assertThat(result.compression().kvBytesAfter()).isLessThan(result.compression().kvBytesBefore());
		assertThat(result.compression().budgets()).containsExactly(12, 11, 8, 13);
		int keptImage = result.compression().layers().stream().mapToInt(l -> l.keptImageTokens()).sum();
		int keptText = result.compression().layers().stream().mapToInt(l -> l.keptTextTokens()).sum();
		assertThat(keptImage + keptText).isEqualTo(12 + 11 + 8 + 13);
	}

	@Test
	void streamedPiecesAddUpToTheText() {
		StringBuilder streamed = new StringBuilder();
		AtomicInteger calls = new AtomicInteger();
		GenerationResult result = generator.generate(request(greedy(8), CompressionOptions.DEFAULT_VL_CACHE),
				(id, text) -> {
					calls.incrementAndGet();
					streamed.append(text);
				}, () -> false);
		assertThat(streamed.toString()).isEqualTo(result.text());
		assertThat(calls.get()).isGreaterThanOrEqualTo(result.completionTokens());
		assertThat(result.text()).isEqualTo(model.tokenizer().decode(java.util.Arrays.stream(result.tokenIds()).asLongStream().toArray()));
	}

	@Test
	void stopStringEndsGenerationAndIsExcluded() {
		GenerationResult full = generator.generate(request(greedy(12), CompressionOptions.FULL));
		String[] words = full.text().split(" ");
		String stop = words[2];
		GenerationResult stopped = generator.generate(
				request(greedy(12).mutate().stop(List.of(stop)).build(), CompressionOptions.FULL));
		assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP_SEQUENCE);
		assertThat(stopped.text()).isEqualTo(full.text().substring(0, full.text().indexOf(stop)));
	}

	@Test
	void seededSamplingIsReproducible() {
		SamplingOptions sampling = SamplingOptions.builder().temperature(1.0).topK(20).topP(0.9).seed(42L)
			.maxNewTokens(10).stopOnEos(false).build();
		GenerationResult a = generator.generate(request(sampling, CompressionOptions.FULL));
		GenerationResult b = generator.generate(request(sampling, CompressionOptions.FULL));
		GenerationResult c = generator.generate(request(sampling.mutate().seed(7L).build(), CompressionOptions.FULL));
		assertThat(a.tokenIds()).containsExactly(b.tokenIds());
		assertThat(c.tokenIds()).isNotEqualTo(a.tokenIds());
	}

	@Test
	void cancellationStopsBeforeTheNextToken() {
		AtomicInteger seen = new AtomicInteger();
		GenerationResult result = generator.generate(request(greedy(12), CompressionOptions.FULL),
				(id, text) -> seen.incrementAndGet(), () -> seen.get() >= 3);
		assertThat(result.finishReason()).isEqualTo(FinishReason.CANCELLED);
		assertThat(result.completionTokens()).isEqualTo(3);
	}

	@Test
	void cancelledBeforeStartingSkipsThePrefill() {
		int before = model.liveArrayCount();
		GenerationResult result = generator.generate(request(greedy(12), CompressionOptions.DEFAULT_VL_CACHE),
				TokenListener.NONE, () -> true);
		assertThat(result.finishReason()).isEqualTo(FinishReason.CANCELLED);
		assertThat(result.completionTokens()).isZero();
		assertThat(result.compression().layers()).isEmpty();
		assertThat(result.compression().kvBytesBefore()).isZero();
		assertThat(model.liveArrayCount()).isEqualTo(before);
	}

	@Test
	void badRequestsFailClearlyAndTheModelKeepsServing() {
		assertThatThrownBy(() -> generator.generate(new GenerationRequest(
				List.of(ChatMessage.user("what color is the circle ?", 1)),
				List.of(new ImageInput("broken.png", new byte[] { (byte) 0x89, 'P', 'N', 'G', 1, 2, 3 })), greedy(2),
				CompressionOptions.FULL)))
			.isInstanceOf(ImageException.class)
			.hasMessageContaining("broken.png");
		assertThatThrownBy(() -> generator.generate(new GenerationRequest(
				List.of(ChatMessage.user("what color is the circle ?", 1)),
				List.of(new ImageInput("notes.txt", "hello".getBytes())), greedy(2), CompressionOptions.FULL)))
			.isInstanceOf(ImageException.class)
			.hasMessageContaining("notes.txt")
			.hasMessageContaining("PNG, JPEG, GIF, BMP or WebP");
		String longText = "what ".repeat(600);
		assertThatThrownBy(() -> generator.generate(new GenerationRequest(List.of(ChatMessage.user(longText, 1)),
				List.of(new ImageInput("image0.png", image)), greedy(2), CompressionOptions.FULL)))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("context length of 512");
		assertThatThrownBy(() -> new GenerationRequest(List.of(ChatMessage.user("hi", 0)),
				List.of(new ImageInput("image0.png", image)), greedy(2), CompressionOptions.FULL))
			.hasMessageContaining("0 image part(s) but 1 image(s)");
		assertThat(generator.generate(request(greedy(3), CompressionOptions.FULL)).completionTokens()).isEqualTo(3);
	}

	@Test
	void requestsFreeAllTheirNativeMemory() {
		generator.generate(request(greedy(4), CompressionOptions.DEFAULT_VL_CACHE));
		int baseline = model.liveArrayCount();
		List<String> policies = new ArrayList<>(List.of("full", "vl-cache", "h2o", "snapkv", "pyramidkv", "streaming-llm"));
		for (int i = 0; i < 60; i++) {
			String policy = policies.get(i % policies.size());
			generator.generate(request(greedy(6), CompressionOptions.builder().policy(policy).budgetRatio(0.3).build()));
		}
		assertThat(model.liveArrayCount()).isEqualTo(baseline);
		assertThat(generator.kvBytesInFlight()).isZero();
	}

}
