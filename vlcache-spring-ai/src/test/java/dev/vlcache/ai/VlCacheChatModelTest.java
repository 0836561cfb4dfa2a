package dev.vlcache.ai;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.Media;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.util.MimeTypeUtils;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.generation.GenerationResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link VlCacheChatModel} on the shared fixture checkpoint. */
class VlCacheChatModelTest {

	private static LlavaModel model;

	private static byte[] image;

	@BeforeAll
	static void load() throws IOException {
		Path fixtures = Paths.get(System.getProperty("vlcache.fixtures", "../fixtures"));
		try (Stream<Path> s = Files.list(fixtures)) {
			Path folder = s.filter(p -> p.getFileName().toString().equals("llava-tiny-clip-llama")).findFirst().orElseThrow();
			model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"));
			image = Files.readAllBytes(folder.resolve("image0.png"));
		}
	}

	@AfterAll
	static void close() {
		model.close();
	}

	private static VlCacheChatModel chatModel(VlCacheRequestListener... listeners) {
		VlCacheChatModel.Builder b = VlCacheChatModel.builder()
			.model(model)
			.defaultOptions(VlCacheChatOptions.builder().maxTokens(6).budgetRatio(0.25).build());
		for (VlCacheRequestListener l : listeners) {
			b.listener(l);
		}
		return b.build();
	}

	private static Prompt question(Media media, ChatOptions options) {
		return new Prompt(UserMessage.builder().text("what color is the circle ?").media(List.of(media)).build(), options);
	}

	private static Media png() {
		return Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(image).build();
	}

	@Test
	void answersAboutAnImageWithUsageAndCompressionMetadata() {
		ChatResponse response = chatModel().call(new Prompt(
				UserMessage.builder().text("what color is the circle ?").media(List.of(png())).build()));
		assertThat(response.getResult().getOutput().getText()).isNotBlank();
		assertThat(response.getResult().getMetadata().getFinishReason()).isEqualTo("LENGTH");
		assertThat(response.getMetadata().getUsage().getPromptTokens()).isEqualTo(45);
		assertThat(response.getMetadata().getUsage().getCompletionTokens()).isEqualTo(6);
		assertThat(((VlCacheUsage) response.getMetadata().getUsage().getNativeUsage()).imageTokens()).isEqualTo(36);
		assertThat((Integer) response.getMetadata().get(VlCacheChatModel.METADATA_IMAGE_TOKENS)).isEqualTo(36);
		CompressionMetadata compression = response.getMetadata().get(VlCacheChatModel.METADATA_COMPRESSION);
		assertThat(compression.policy()).isEqualTo("vl-cache");
		assertThat(compression.layerBudgets()).containsExactly(12, 11, 8, 13);
		assertThat(compression.retainedRatio()).isCloseTo(44 / 180.0, org.assertj.core.data.Offset.offset(1e-9));
		assertThat(compression.kvBytesAfter()).isLessThan(compression.kvBytesBefore());
		assertThat(compression.layerSparsity()).hasSize(4).doesNotContainNull();
		assertThat(response.getMetadata().getModel()).isEqualTo("llava-tiny-clip-llama");
	}

	@Test
	void everyImageEncodingGivesTheSameAnswer() {
		VlCacheChatModel chat = chatModel();
		ChatOptions greedy = VlCacheChatOptions.builder().build();
		String bytes = chat.call(question(png(), greedy)).getResult().getOutput().getText();
		String resource = chat.call(question(new Media(MimeTypeUtils.IMAGE_PNG, new ByteArrayResource(image)), greedy))
			.getResult().getOutput().getText();
		String base64 = chat.call(question(Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG)
			.data(Base64.getEncoder().encodeToString(image)).build(), greedy)).getResult().getOutput().getText();
		String dataUri = chat.call(question(Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG)
			.data("data:image/png;base64," + Base64.getEncoder().encodeToString(image)).build(), greedy))
			.getResult().getOutput().getText();
		assertThat(List.of(resource, base64, dataUri)).containsOnly(bytes);
	}

	@Test
	void remoteUrlsAndNonImagesAreRefusedWithoutFetching() throws Exception {
		VlCacheChatModel chat = chatModel();
		assertThatThrownBy(() -> chat.call(question(Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG)
			.data(new java.net.URI("http://127.0.0.1:9/cat.png")).build(), VlCacheChatOptions.builder().build())))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("remote URL")
			.hasMessageContaining("not fetched");
		assertThatThrownBy(() -> chat.call(question(Media.builder().mimeType(MimeTypeUtils.TEXT_PLAIN)
			.data("hello".getBytes()).build(), VlCacheChatOptions.builder().build())))
			.hasMessageContaining("only image/* media");
		assertThatThrownBy(() -> chat.call(question(Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG)
			.data("not an image at all".getBytes()).build(), VlCacheChatOptions.builder().build())))
			.hasMessageContaining("not a supported image");
	}

	@Test
	void requestOptionsOverrideDefaultsFieldByField() {
		VlCacheChatModel chat = chatModel();
		ChatResponse full = chat.call(question(png(), VlCacheChatOptions.builder().policy("full").maxTokens(3).build()));
		CompressionMetadata c = full.getMetadata().get(VlCacheChatModel.METADATA_COMPRESSION);
		assertThat(c.policy()).isEqualTo("full");
		assertThat(c.retainedRatio()).isEqualTo(1.0);
		assertThat(full.getMetadata().getUsage().getCompletionTokens()).isEqualTo(3);
		ChatResponse portable = chat.call(question(png(), ChatOptions.builder().maxTokens(2).build()));
		CompressionMetadata d = portable.getMetadata().get(VlCacheChatModel.METADATA_COMPRESSION);
		assertThat(d.budgetRatio()).as("default kept").isEqualTo(0.25);
		assertThat(portable.getMetadata().getUsage().getCompletionTokens()).isEqualTo(2);
		assertThatThrownBy(() -> chat.call(question(png(), VlCacheChatOptions.builder().budgetRatio(2.0).build())))
			.hasMessageContaining("budget-ratio 2.0");
		assertThatThrownBy(() -> chat.call(question(png(), VlCacheChatOptions.builder().policy("lru").build())))
			.hasMessageContaining("policy 'lru'");
	}

	@Test
	void streamingSendsTextPiecesThenUsage() {
		VlCacheChatModel chat = chatModel();
		Prompt prompt = question(png(), VlCacheChatOptions.builder().maxTokens(8).build());
		String called = chat.call(prompt).getResult().getOutput().getText();
		List<ChatResponse> chunks = chat.stream(prompt).collectList().block(Duration.ofSeconds(60));
		StringBuilder text = new StringBuilder();
		chunks.forEach(c -> text.append(c.getResult().getOutput().getText() == null ? "" : c.getResult().getOutput().getText()));
		assertThat(text.toString()).isEqualTo(called);
		assertThat(chunks.size()).isGreaterThan(2);
		ChatResponse last = chunks.get(chunks.size() - 1);
		assertThat(last.getMetadata().getUsage().getCompletionTokens()).isEqualTo(8);
		assertThat((Object) last.getMetadata().get(VlCacheChatModel.METADATA_COMPRESSION)).isNotNull();
	}

	@Test
	void cancellingAStreamStopsGenerationAndFreesMemory() throws InterruptedException {
		List<GenerationResult> finished = new ArrayList<>();
		CountDownLatch done = new CountDownLatch(1);
		VlCacheChatModel chat = chatModel(new VlCacheRequestListener() {
			@Override
			public void onSuccess(String policy, GenerationResult result) {
				finished.add(result);
				done.countDown();
			}
		});
		int before = model.liveArrayCount();
		List<ChatResponse> got = chat.stream(question(png(), VlCacheChatOptions.builder().maxTokens(400).build()))
			.take(2)
			.collectList()
			.block(Duration.ofSeconds(60));
		assertThat(got).hasSize(2);
		assertThat(done.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
		assertThat(finished.get(0).finishReason().name()).isEqualTo("CANCELLED");
		assertThat(finished.get(0).completionTokens()).isLessThan(400);
		assertThat(model.liveArrayCount()).isEqualTo(before);
		assertThat(chat.kvBytesInFlight()).isZero();
	}

	@Test
	void concurrentCallsDecodeTogetherAndAnswerAsTheyDoAlone() throws Exception {
		AtomicInteger largest = new AtomicInteger();
		VlCacheChatModel chat = chatModel(new VlCacheRequestListener() {
			@Override
			public void onDecodeStep(int batchSize) {
				largest.accumulateAndGet(batchSize, Math::max);
			}
		});
		List<String> alone = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			alone.add(chat.call(question(png(), VlCacheChatOptions.builder().maxTokens(40 + i).build()))
				.getResult()
				.getOutput()
				.getText());
		}
		largest.set(0);
		CountDownLatch go = new CountDownLatch(1);
		java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
		List<java.util.concurrent.CompletableFuture<String>> answers = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			int tokens = 40 + i;
			answers.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
				try {
					go.await();
				}
				catch (InterruptedException ex) {
					throw new IllegalStateException(ex);
				}
				return chat.call(question(png(), VlCacheChatOptions.builder().maxTokens(tokens).build()))
					.getResult()
					.getOutput()
					.getText();
			}, pool));
		}
		go.countDown();
		for (int i = 0; i < 6; i++) {
			assertThat(answers.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(alone.get(i));
		}
		assertThat(largest.get()).as("requests decoded in one step").isGreaterThan(1);
		assertThat(chat.activeRequests()).isZero();
		assertThat(chat.kvBytesReserved()).isZero();
		pool.shutdown();
		chat.shutdown();
	}

	@Test
	void busyModelRejectsAfterTheWait() throws InterruptedException {
		AtomicInteger rejected = new AtomicInteger();
		CountDownLatch started = new CountDownLatch(1);
		VlCacheChatModel chat = VlCacheChatModel.builder()
			.model(model)
			.maxBatchSize(1)
			.acquireTimeout(Duration.ofMillis(50))
			.listener(new VlCacheRequestListener() {
				@Override
				public void onRejected(String policy) {
					rejected.incrementAndGet();
				}
			})
			.build();
		// The chunks are emitted on the scheduler's thread: pausing on each keeps the first request running (the
		// fixture decodes hundreds of tokens a second) while the scheduler still checks the waiting one between steps.
		Flux<ChatResponse> slow = chat.stream(question(png(), VlCacheChatOptions.builder().maxTokens(300).build()))
			.doOnNext(r -> {
				started.countDown();
				java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(40).toNanos());
			});
		reactor.core.Disposable running = slow.subscribe();
		assertThat(started.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
		assertThatThrownBy(() -> chat.call(question(png(), VlCacheChatOptions.builder().maxTokens(1).build())))
			.isInstanceOf(VlCacheBusyException.class)
			.hasMessageContaining("busy");
		assertThat(rejected.get()).isEqualTo(1);
		running.dispose();
	}

	@Test
	void observationIsRecordedWithTokenUsage() {
		TestObservationRegistry registry = TestObservationRegistry.create();
		VlCacheChatModel chat = VlCacheChatModel.builder().model(model).observationRegistry(registry).build();
		chat.call(new Prompt(List.of(new SystemMessage("be brief"),
				UserMessage.builder().text("what color is the circle ?").media(List.of(png())).build()),
				VlCacheChatOptions.builder().maxTokens(3).build()));
		TestObservationRegistryAssert.assertThat(registry)
			.hasObservationWithNameEqualTo("gen_ai.client.operation")
			.that()
			.hasLowCardinalityKeyValue("gen_ai.system", "vlcache")
			.hasHighCardinalityKeyValue("gen_ai.usage.output_tokens", "3")
			.hasBeenStarted()
			.hasBeenStopped();
	}

}
