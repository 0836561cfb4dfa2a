package dev.vlcache.core.serving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vlcache.core.Fixtures;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.generation.FinishReason;
import dev.vlcache.core.generation.GenerationRequest;
import dev.vlcache.core.generation.GenerationResult;
import dev.vlcache.core.generation.Generator;
import dev.vlcache.core.generation.ImageInput;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.generation.TokenListener;
import dev.vlcache.core.template.ChatMessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Continuous batching on the parity fixtures of every family: greedy answers in a batch of 8 equal the answers
 * alone, one failing request leaves the others untouched, and admission follows the KV budget in bytes.
 */
class BatchSchedulerTest {

	private static final long BIG_BUDGET = 1L << 30;

	static Stream<Arguments> fixtures() {
		return Fixtures.folders().stream().map(f -> Arguments.of(f.getFileName().toString(), f));
	}

	/**
	 * Eight different requests of one fixture: the prompt's words in turn order, half with the full cache and
	 * half with VL-Cache at 10% (so that the batch mixes caches whose layers hold different lengths), and token
	 * limits from 48 to 62 so that they finish at different steps.
	 */
	static List<GenerationRequest> eightRequests(Path folder) throws IOException {
		JsonObject expected = JsonParser.parseString(Files.readString(folder.resolve("expected.json"))).getAsJsonObject();
		List<String> words = new ArrayList<>(Arrays.asList(expected.get("messages_text").getAsString().split(" ")));
		JsonArray names = expected.getAsJsonArray("images");
		List<ImageInput> images = new ArrayList<>();
		for (JsonElement name : names) {
			images.add(new ImageInput(name.getAsString(), Files.readAllBytes(folder.resolve(name.getAsString()))));
		}
		List<GenerationRequest> out = new ArrayList<>();
		for (int i = 0; i < 8; i++) {
			String text = String.join(" ", words);
			java.util.Collections.rotate(words, 1);
			CompressionOptions compression = i % 2 == 0 ? CompressionOptions.FULL
					: CompressionOptions.builder().policy("vl-cache").budgetRatio(0.1).build();
			out.add(new GenerationRequest(List.of(ChatMessage.user(text, names.size())), images,
					SamplingOptions.builder().maxNewTokens(48 + 2 * i).stopOnEos(false).build(), compression));
		}
		return out;
	}

	/** Records the largest decoding batch. */
	static final class LargestBatch implements SchedulerListener {

		final AtomicInteger largest = new AtomicInteger();

		final AtomicInteger steps = new AtomicInteger();

		@Override
		public void onDecodeStep(int batchSize) {
			this.largest.accumulateAndGet(batchSize, Math::max);
			this.steps.incrementAndGet();
		}

	}

	/** Each request's greedy tokens run alone, through {@link Generator}. */
	private static List<int[]> alone(LlavaModel model, List<GenerationRequest> requests) {
		Generator generator = new Generator(model);
		List<int[]> out = new ArrayList<>();
		for (GenerationRequest r : requests) {
			out.add(generator.generate(r).tokenIds());
		}
		return out;
	}

	private static GenerationResult await(BatchScheduler.Submission s) throws Exception {
		return s.result().get(60, TimeUnit.SECONDS);
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("fixtures")
	void greedyAnswersInABatchOfEightEqualTheAnswersAlone(String name, Path folder) throws Exception {
		List<GenerationRequest> requests = eightRequests(folder);
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			List<int[]> alone = alone(model, requests);
			int before = model.liveArrayCount();
			LargestBatch batches = new LargestBatch();
			// Prompt pieces of 64 tokens: the prefill of each request runs between decoding steps of the others.
			SchedulerOptions options = SchedulerOptions.withBudget(BIG_BUDGET).withPrefillStepTokens(64);
			try (BatchScheduler scheduler = new BatchScheduler(model, options, batches)) {
				List<BatchScheduler.Submission> submissions = new ArrayList<>();
				for (GenerationRequest r : requests) {
					submissions.add(scheduler.submit(r, TokenListener.NONE, () -> false));
				}
				scheduler.start();
				for (int i = 0; i < requests.size(); i++) {
					GenerationResult batched = await(submissions.get(i));
					assertThat(batched.tokenIds()).as("request %d", i).containsExactly(alone.get(i));
					assertThat(batched.finishReason()).isEqualTo(FinishReason.LENGTH);
				}
				assertThat(batches.largest.get()).as("largest decoding batch").isEqualTo(8);
				assertThat(scheduler.reservedKvBytes()).isZero();
			}
			assertThat(model.liveArrayCount()).as("arrays left by the batch").isEqualTo(before);
		}
	}

	/**
	 * Batched and lone steps are not bit for bit the same (the matrix kernels block [8, hidden] and [1, hidden]
	 * differently), but within the fixtures' logit tolerance: one step of eight prefilled sequences together
	 * against each one alone, from copies of the same caches.
	 */
	@ParameterizedTest(name = "{0}")
	@MethodSource("fixtures")
	void aBatchedStepGivesEachSequenceItsLoneLogitsWithinTheParityTolerance(String name, Path folder)
			throws Exception {
		List<GenerationRequest> requests = eightRequests(folder);
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"));
				ai.djl.ndarray.NDManager scope = model.newRequestManager()) {
			List<dev.vlcache.core.generation.Sequence> sequences = new ArrayList<>();
			List<dev.vlcache.core.kv.KvCache> batchCaches = new ArrayList<>();
			long[] tokens = new long[8];
			int[] indices = new int[8];
			List<dev.vlcache.core.text.RotaryPositions> rotary = new ArrayList<>();
			for (int i = 0; i < 8; i++) {
				dev.vlcache.core.generation.Sequence s = dev.vlcache.core.generation.Sequence.prepare(model,
						requests.get(i), TokenListener.NONE, () -> false);
				s.begin();
				s.prefill(0);
				sequences.add(s);
				batchCaches.add(s.cache().copy(scope, 1));
				tokens[i] = s.nextToken();
				indices[i] = s.nextIndex();
				rotary.add(s.rotary());
			}
			float[] batched = model.decode(scope, tokens, batchCaches, indices, rotary).toFloatArray();
			int vocab = batched.length / 8;
			double worst = 0;
			for (int i = 0; i < 8; i++) {
				float[] alone = model.decode(scope, new long[] { tokens[i] }, List.of(sequences.get(i).cache()),
						new int[] { indices[i] }, List.of(rotary.get(i))).toFloatArray();
				for (int v = 0; v < vocab; v++) {
					double diff = Math.abs(batched[i * vocab + v] - alone[v]);
					worst = Math.max(worst, diff);
					assertThat(diff).as("request %d, token %d", i, v).isLessThanOrEqualTo(1e-3 + 1e-3 * Math.abs(alone[v]));
				}
			}
			System.out.printf(java.util.Locale.ROOT, "%s: batched vs alone step logits, max abs diff %.3g%n", name, worst);
			sequences.forEach(dev.vlcache.core.generation.Sequence::close);
		}
	}

	@Test
	void aFailingOrCancelledRequestLeavesTheBatchWithoutDisturbingTheOthers() throws Exception {
		Path folder = Fixtures.inRepository("qwen2-vl-tiny");
		List<GenerationRequest> requests = eightRequests(folder);
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			List<int[]> alone = alone(model, requests);
			int before = model.liveArrayCount();
			LargestBatch batches = new LargestBatch();
			try (BatchScheduler scheduler = new BatchScheduler(model,
					SchedulerOptions.withBudget(BIG_BUDGET).withPrefillStepTokens(64), batches)) {
				List<BatchScheduler.Submission> submissions = new ArrayList<>();
				for (int i = 0; i < requests.size(); i++) {
					TokenListener listener = TokenListener.NONE;
					BooleanSupplier cancelled = () -> false;
					AtomicInteger seen = new AtomicInteger();
					if (i == 2) {
						// Its listener throws on the fifth token: the request fails, the batch carries on.
						listener = (id, text) -> {
							if (seen.incrementAndGet() == 5) {
								throw new IllegalStateException("listener of request 2 broke");
							}
						};
					}
					else if (i == 4) {
						// Its client goes away after three tokens.
						listener = (id, text) -> seen.incrementAndGet();
						cancelled = () -> seen.get() >= 3;
					}
					else if (i == 6) {
						// Asking whether it was cancelled throws (a broken connection).
						listener = (id, text) -> seen.incrementAndGet();
						cancelled = () -> {
							if (seen.get() >= 4) {
								throw new IllegalStateException("connection of request 6 reset");
							}
							return false;
						};
					}
					submissions.add(scheduler.submit(requests.get(i), listener, cancelled));
				}
				scheduler.start();
				for (int i = 0; i < requests.size(); i++) {
					BatchScheduler.Submission s = submissions.get(i);
					if (i == 2) {
						assertThatThrownBy(() -> await(s)).hasRootCauseMessage("listener of request 2 broke");
					}
					else if (i == 4) {
						GenerationResult r = await(s);
						assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
						assertThat(r.tokenIds()).containsExactly(Arrays.copyOf(alone.get(i), 3));
					}
					else if (i == 6) {
						assertThatThrownBy(() -> await(s)).hasRootCauseMessage("connection of request 6 reset");
					}
					else {
						assertThat(await(s).tokenIds()).as("request %d", i).containsExactly(alone.get(i));
					}
				}
				// Three of the eight leave early (at tokens 3 to 5), while the last ones are still being admitted.
				assertThat(batches.largest.get()).isGreaterThanOrEqualTo(5);
				assertThat(scheduler.reservedKvBytes()).isZero();
				// The scheduler still serves.
				assertThat(await(scheduler.submit(requests.get(0), TokenListener.NONE, () -> false)).tokenIds())
					.containsExactly(alone.get(0));
			}
			assertThat(model.liveArrayCount()).isEqualTo(before);
		}
	}

	@Test
	void compressionReturnsItsEvictedBytesSoThatMoreRequestsRunAtOnce() throws Exception {
		Path folder = Fixtures.inRepository("qwen2-vl-tiny");
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			GenerationRequest first = eightRequests(folder).get(0);
			GenerationRequest full = new GenerationRequest(first.messages(), first.images(),
					SamplingOptions.builder().maxNewTokens(12).stopOnEos(false).build(), CompressionOptions.FULL);
			// The reservation of one request with the full cache, and a budget for exactly two of them.
			long one = dev.vlcache.core.generation.Sequence.prepare(model, full, TokenListener.NONE, () -> false)
				.reservedKvBytes();
			long budget = 2 * one;
			CompressionOptions vlCache = CompressionOptions.builder().policy("vl-cache").budgetRatio(0.1).build();
			assertThat(largestBatch(model, budget, full, CompressionOptions.FULL)).isEqualTo(2);
			// Each compressed request gives back about 90% of its prompt (111 tokens, 12 new ones reserved): with the
			// prompt's bytes needed free only at admission, about six fit in the same bytes.
			assertThat(largestBatch(model, budget, full, vlCache)).isGreaterThanOrEqualTo(5);
		}
	}

	private static int largestBatch(LlavaModel model, long budget, GenerationRequest template,
			CompressionOptions compression) throws Exception {
		LargestBatch batches = new LargestBatch();
		AtomicReference<Long> largestReserved = new AtomicReference<>(0L);
		try (BatchScheduler scheduler = new BatchScheduler(model,
				SchedulerOptions.withBudget(budget).withMaxBatchSize(8).withPrefillStepTokens(0), batches)) {
			List<BatchScheduler.Submission> submissions = new ArrayList<>();
			for (int i = 0; i < 8; i++) {
				GenerationRequest r = new GenerationRequest(template.messages(), template.images(),
						template.sampling(), compression);
				submissions.add(scheduler.submit(r, (id, text) -> largestReserved
					.accumulateAndGet(scheduler.reservedKvBytes(), Math::max), () -> false));
			}
			scheduler.start();
			for (BatchScheduler.Submission s : submissions) {
				assertThat(await(s).completionTokens()).isEqualTo(12);
			}
			assertThat(largestReserved.get()).as("bytes reserved at most").isLessThanOrEqualTo(budget);
			assertThat(scheduler.reservedKvBytes()).isZero();
		}
		return batches.largest.get();
	}

	@Test
	void hundredsOfRequestsLeaveNoArrayAndNoReservationBehind() throws Exception {
		Path folder = Fixtures.inRepository("llava-tiny-clip-llama");
		List<GenerationRequest> eight = eightRequests(folder);
		List<String> policies = List.of("full", "vl-cache", "h2o", "snapkv", "pyramidkv", "streaming-llm");
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"));
				BatchScheduler scheduler = new BatchScheduler(model,
						SchedulerOptions.withBudget(BIG_BUDGET).withMaxBatchSize(16).withPrefillStepTokens(16)).start()) {
			await(scheduler.submit(eight.get(0), TokenListener.NONE, () -> false));
			int baseline = model.liveArrayCount();
			List<BatchScheduler.Submission> all = new ArrayList<>();
			for (int i = 0; i < 300; i++) {
				GenerationRequest t = eight.get(i % 8);
				AtomicInteger seen = new AtomicInteger();
				int k = i;
				// Every seventh is cancelled part-way, every eleventh has a listener that throws.
				all.add(scheduler.submit(new GenerationRequest(t.messages(), t.images(),
						SamplingOptions.builder().maxNewTokens(3 + i % 5).stopOnEos(false).build(),
						CompressionOptions.builder().policy(policies.get(i % policies.size())).budgetRatio(0.3).build()),
						(id, text) -> {
							if (seen.incrementAndGet() == 2 && k % 11 == 0) {
								throw new IllegalStateException("listener " + k);
							}
						}, () -> k % 7 == 0 && seen.get() >= 1));
			}
			int failed = 0;
			for (BatchScheduler.Submission s : all) {
				try {
					await(s);
				}
				catch (java.util.concurrent.ExecutionException ex) {
					failed++;
				}
			}
			assertThat(failed).isEqualTo((int) java.util.stream.IntStream.range(0, 300)
				.filter(i -> i % 11 == 0 && i % 7 != 0)
				.count());
			assertThat(scheduler.reservedKvBytes()).isZero();
			assertThat(scheduler.heldKvBytes()).isZero();
			assertThat(model.liveArrayCount()).as("arrays after 300 requests").isEqualTo(baseline);
		}
	}

	@Test
	void aRequestThatCanNeverFitFailsAtOnceAndOneThatWaitsTooLongTimesOut() throws Exception {
		Path folder = Fixtures.inRepository("llava-tiny-clip-llama");
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			GenerationRequest request = eightRequests(folder).get(0);
			long one = dev.vlcache.core.generation.Sequence.prepare(model, request, TokenListener.NONE, () -> false)
				.reservedKvBytes();
			try (BatchScheduler scheduler = new BatchScheduler(model, SchedulerOptions.withBudget(one - 1)).start()) {
				assertThatThrownBy(() -> scheduler.submit(request, TokenListener.NONE, () -> false))
					.isInstanceOf(KvBudgetExceededException.class)
					.hasMessageContaining("needs " + one + " bytes")
					.hasMessageContaining("budget is " + (one - 1) + " bytes")
					.hasMessageContaining("prompt tokens");
			}
			// Room for one: the second waits behind the first and gives up after 50 ms; the first then stops.
			try (BatchScheduler scheduler = new BatchScheduler(model,
					SchedulerOptions.withBudget(one).withQueueTimeout(Duration.ofMillis(50)))) {
				AtomicReference<BatchScheduler.Submission> second = new AtomicReference<>();
				BatchScheduler.Submission first = scheduler.submit(request, TokenListener.NONE,
						() -> second.get() != null && second.get().result().isDone());
				second.set(scheduler.submit(request, TokenListener.NONE, () -> false));
				scheduler.start();
				assertThatThrownBy(() -> await(second.get())).isInstanceOf(java.util.concurrent.ExecutionException.class)
					.cause()
					.isInstanceOf(QueueTimeoutException.class)
					.hasMessageContaining("busy")
					.hasMessageContaining("1 request(s) running");
				GenerationResult r = await(first);
				assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
				assertThat(r.completionTokens()).isGreaterThan(0);
			}
		}
	}

	@Test
	void aMetricsListenerThatThrowsDisturbsNoRequest() throws Exception {
		Path folder = Fixtures.inRepository("llava-tiny-clip-llama");
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			List<GenerationRequest> requests = eightRequests(folder);
			int[] alone = new Generator(model).generate(requests.get(3)).tokenIds();
			SchedulerListener broken = new SchedulerListener() {
				@Override
				public void onDecodeStep(int batchSize) {
					throw new IllegalStateException("meter registry down");
				}

				@Override
				public void onAdmitted(long queueNanos) {
					throw new IllegalStateException("meter registry down");
				}
			};
			try (BatchScheduler scheduler = new BatchScheduler(model, SchedulerOptions.withBudget(BIG_BUDGET), broken)
				.start()) {
				assertThat(await(scheduler.submit(requests.get(3), TokenListener.NONE, () -> false)).tokenIds())
					.containsExactly(alone);
			}
		}
	}

	@Test
	void aClosedSchedulerFailsWhatIsLeftAndFreesIt() throws Exception {
		Path folder = Fixtures.inRepository("llava-tiny-clip-llama");
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			int before = model.liveArrayCount();
			GenerationRequest request = new GenerationRequest(eightRequests(folder).get(0).messages(),
					eightRequests(folder).get(0).images(),
					SamplingOptions.builder().maxNewTokens(400).stopOnEos(false).build(), CompressionOptions.FULL);
			BatchScheduler scheduler = new BatchScheduler(model, SchedulerOptions.withBudget(BIG_BUDGET)).start();
			AtomicInteger tokens = new AtomicInteger();
			BatchScheduler.Submission s = scheduler.submit(request, (id, text) -> tokens.incrementAndGet(), () -> false);
			while (tokens.get() < 3) {
				Thread.sleep(1);
			}
			scheduler.close();
			assertThatThrownBy(() -> s.result().join()).isInstanceOf(CompletionException.class)
				.hasMessageContaining("closed");
			assertThatThrownBy(() -> scheduler.submit(request, TokenListener.NONE, () -> false))
				.isInstanceOf(IllegalStateException.class);
			assertThat(model.liveArrayCount()).isEqualTo(before);
		}
	}

}
