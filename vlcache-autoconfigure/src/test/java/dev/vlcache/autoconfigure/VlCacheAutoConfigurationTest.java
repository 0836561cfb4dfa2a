package dev.vlcache.autoconfigure;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.Media;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.MimeTypeUtils;

import dev.vlcache.ai.CompressionMetadata;
import dev.vlcache.ai.VlCacheChatModel;
import dev.vlcache.ai.VlCacheChatOptions;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.CompressionPolicy;
import dev.vlcache.core.compression.CompressionRun;
import dev.vlcache.core.tokenizer.PromptLayout;

import static org.assertj.core.api.Assertions.assertThat;

class VlCacheAutoConfigurationTest {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VlCacheChatAutoConfiguration.class))
		.withPropertyValues("spring.ai.vlcache.model=" + TestFixtures.checkpoint());

	@Test
	void activeWhenTheProviderPropertyIsAbsent() {
		this.runner.run(context -> {
			assertThat(context).hasSingleBean(VlCacheChatModel.class).hasSingleBean(LlavaModel.class);
			assertThat(context.getBean(ChatModel.class)).isSameAs(context.getBean(VlCacheChatModel.class));
		});
	}

	@Test
	void activeWhenVlcacheIsSelected() {
		this.runner.withPropertyValues("spring.ai.model.chat=vlcache")
			.run(context -> assertThat(context).hasSingleBean(VlCacheChatModel.class));
	}

	@Test
	void offWhenNoneOrAnotherProviderIsSelected() {
		this.runner.withPropertyValues("spring.ai.model.chat=none").run(context -> {
			assertThat(context).doesNotHaveBean(VlCacheChatModel.class).doesNotHaveBean(LlavaModel.class);
			assertThat(context).hasNotFailed();
		});
		this.runner.withPropertyValues("spring.ai.model.chat=ollama")
			.run(context -> assertThat(context).doesNotHaveBean(VlCacheChatModel.class));
	}

	@Test
	void propertiesBindToTheDefaultOptions() {
		this.runner
			.withPropertyValues("spring.ai.vlcache.chat.temperature=0.7", "spring.ai.vlcache.chat.top-k=40",
					"spring.ai.vlcache.chat.top-p=0.9", "spring.ai.vlcache.chat.max-tokens=7",
					"spring.ai.vlcache.chat.seed=11", "spring.ai.vlcache.chat.stop=END,STOP",
					"spring.ai.vlcache.compression.policy=snapkv", "spring.ai.vlcache.compression.budget-ratio=0.3",
					"spring.ai.vlcache.compression.scoring-window=16",
					"spring.ai.vlcache.compression.sparsity-threshold=0.05",
					"spring.ai.vlcache.compression.allocation=hybrid",
					"spring.ai.vlcache.compression.hybrid-uniform-share=0.5",
					"spring.ai.vlcache.max-batch-size=3", "spring.ai.vlcache.acquire-timeout=2s",
					"spring.ai.vlcache.device=cpu", "spring.ai.vlcache.dtype=float32")
			.run(context -> {
				VlCacheChatModel chat = context.getBean(VlCacheChatModel.class);
				VlCacheChatOptions o = chat.getOptions();
				assertThat(o.getTemperature()).isEqualTo(0.7);
				assertThat(o.getTopK()).isEqualTo(40);
				assertThat(o.getTopP()).isEqualTo(0.9);
				assertThat(o.getMaxTokens()).isEqualTo(7);
				assertThat(o.getSeed()).isEqualTo(11L);
				assertThat(o.getStopSequences()).containsExactly("END", "STOP");
				assertThat(o.getPolicy()).isEqualTo("snapkv");
				assertThat(o.getBudgetRatio()).isEqualTo(0.3);
				assertThat(o.getScoringWindow()).isEqualTo("16");
				assertThat(o.getSparsityThreshold()).isEqualTo(0.05);
				assertThat(o.getAllocation()).isEqualTo("hybrid");
				assertThat(o.getHybridUniformShare()).isEqualTo(0.5);
				assertThat(chat.getMaxBatchSize()).isEqualTo(3);
				assertThat(chat.getModel().device().isGpu()).isFalse();
			});
	}

	@Test
	void requestOptionsOverrideThePropertiesFieldByField() {
		this.runner.withPropertyValues("spring.ai.vlcache.chat.max-tokens=5", "spring.ai.vlcache.compression.budget-ratio=0.3")
			.run(context -> {
				VlCacheChatModel chat = context.getBean(VlCacheChatModel.class);
				Media image = Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(TestFixtures.image()).build();
				ChatResponse response = chat.call(new Prompt(
						UserMessage.builder().text("what color is the circle ?").media(List.of(image)).build(),
						VlCacheChatOptions.builder().policy("h2o").build()));
				CompressionMetadata c = response.getMetadata().get(VlCacheChatModel.METADATA_COMPRESSION);
				assertThat(c.policy()).isEqualTo("h2o");
				assertThat(c.budgetRatio()).isEqualTo(0.3);
				assertThat(response.getMetadata().getUsage().getCompletionTokens()).isEqualTo(5);
			});
	}

	@ParameterizedTest
	@ValueSource(strings = { "float16", "int8", "int8-dynamic" })
	void reducedPrecisionWeightsAreLoadedAsAsked(String weights) {
		this.runner.withPropertyValues("spring.ai.vlcache.weights=" + weights)
			.run(context -> assertThat(context.getBean(LlavaModel.class).weightsName()).isEqualTo(weights));
	}

	@Test
	void theBatchPropertiesReachTheSchedulerAndTheOldNameStillBinds() {
		this.runner.withPropertyValues("spring.ai.vlcache.kv-cache-memory=64MB",
				"spring.ai.vlcache.prefill-step-tokens=32", "spring.ai.vlcache.max-concurrent-requests=5")
			.run(context -> {
				VlCacheChatModel chat = context.getBean(VlCacheChatModel.class);
				assertThat(chat.kvCacheBudget()).isEqualTo(64L * 1024 * 1024);
				assertThat(chat.getPrefillStepTokens()).isEqualTo(32);
				assertThat(chat.getMaxBatchSize()).as("deprecated max-concurrent-requests").isEqualTo(5);
			});
	}

	@ParameterizedTest(name = "{0}={1}")
	@CsvSource(delimiter = '|', value = { "compression.budget-ratio|0|(0, 1]", "compression.budget-ratio|1.5|(0, 1]",
			"compression.sparsity-threshold|1|(0, 1)", "compression.scoring-window|0|>= 1",
			"compression.scoring-window|wide|auto or an integer", "compression.policy|lru|vl-cache",
			"compression.allocation|greedy|adaptive, uniform, hybrid", "compression.hybrid-uniform-share|2|[0, 1]",
			"chat.temperature|-1|>= 0", "chat.top-p|0|(0, 1]", "chat.top-k|-2|>= 0", "chat.max-tokens|0|>= 1",
			"max-batch-size|0|>= 1", "kv-cache-memory|0B|size > 0", "prefill-step-tokens|-1|>= 0", "acquire-timeout|-1s|>= 0", "device|tpu|auto, cpu, gpu",
			"device|gpu:7|device 'gpu:7'", "dtype|bfloat16|not supported", "dtype|int4|auto, float32 or float16", "prefill-chunk-tokens|-1|>= 0", "weights|int4|float32, float16, int8 or int8-dynamic" })
	void invalidPropertiesStopStartupNamingPropertyValueAndRange(String property, String value, String range) {
		this.runner.withPropertyValues("spring.ai.vlcache." + property + "=" + value).run(context -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new VlCacheFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).contains("spring.ai.vlcache." + property)
				.contains("'" + value + "'")
				.contains(range);
		});
	}

	@Test
	void missingModelFolderIsReported() {
		this.runner.withPropertyValues("spring.ai.vlcache.model=/no/such/checkpoint").run(context -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new VlCacheFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis.getDescription()).contains("/no/such/checkpoint").contains("does not exist");
			assertThat(analysis.getAction()).contains("spring.ai.vlcache.model");
		});
	}

	@Test
	void brokenCheckpointIsReported(@TempDir Path empty) {
		this.runner.withPropertyValues("spring.ai.vlcache.model=" + empty).run(context -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new VlCacheFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis.getDescription()).contains(empty.toString()).contains("config.json");
		});
	}

	@Test
	void withoutAModelFolderTheEmbeddedModelIsUsed() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(VlCacheChatAutoConfiguration.class))
			.run(context -> {
				assertThat(context).hasSingleBean(VlCacheChatModel.class);
				assertThat(context.getBean(LlavaModel.class).folder()).isEqualTo(TestFixtures.checkpoint());
			});
	}

	@Test
	void noModelAndNoDemoModelIsReported() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(VlCacheChatAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader(
					new ClassPathResource("META-INF/services/dev.vlcache.core.EmbeddedModel")))
			.run(context -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = new VlCacheFailureAnalyzer().analyze(context.getStartupFailure());
				assertThat(analysis.getDescription()).contains("spring.ai.vlcache.model is not set");
			});
	}

	@Test
	void aUserDefinedChatModelWins() {
		this.runner.withBean("myChat", VlCacheChatModel.class,
				() -> VlCacheChatModel.builder().model(LlavaModel.load(TestFixtures.checkpoint(),
						dev.vlcache.core.ModelOptions.DEFAULT)).maxBatchSize(4).build())
			.run(context -> {
				assertThat(context).hasSingleBean(VlCacheChatModel.class);
				assertThat(context.getBean(VlCacheChatModel.class).getMaxBatchSize()).isEqualTo(4);
			});
	}

	/** An application's own policy: StreamingLLM's selection with two sinks fewer, under a name of its own. */
	static final class RecentOnly implements CompressionPolicy {

		private final String name;

		RecentOnly(String name) {
			this.name = name;
		}

		@Override
		public String name() {
			return this.name;
		}

		@Override
		public CompressionRun begin(PromptLayout prompt, CompressionOptions options, int numLayers) {
			return CompressionPolicies.get("streaming-llm").begin(prompt, options, numLayers);
		}

	}

	@Test
	void aCompressionPolicyBeanIsSelectedByNameLikeABuiltInOne() {
		this.runner.withBean(CompressionPolicy.class, () -> new RecentOnly("recent-only"))
			.withPropertyValues("spring.ai.vlcache.compression.policy=Recent-Only", "spring.ai.vlcache.chat.max-tokens=3")
			.run(context -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(VlCacheCompressionPolicies.class).names()).containsExactly("recent-only");
				Media image = Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(TestFixtures.image()).build();
				ChatResponse response = context.getBean(VlCacheChatModel.class)
					.call(new Prompt(UserMessage.builder().text("what color is the circle ?").media(List.of(image)).build()));
				CompressionMetadata c = response.getMetadata().get(VlCacheChatModel.METADATA_COMPRESSION);
				assertThat(c.policy()).isEqualToIgnoringCase("recent-only");
				assertThat(c.kvBytesAfter()).isLessThan(c.kvBytesBefore());
			});
	}

	@Test
	void aPolicyBeanCannotTakeABuiltInName() {
		this.runner.withBean(CompressionPolicy.class, () -> new RecentOnly("h2o")).run(context -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("'h2o'")
				.hasMessageContaining("built-in");
		});
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "llava-next-tiny-clip-mistral, 2, 116", "qwen2-vl-tiny, 1, 84" })
	void everyFamilyServesThroughTheChatModel(String fixture, int images, int imageTokens) throws Exception {
		Path folder = TestFixtures.folder(fixture);
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(VlCacheChatAutoConfiguration.class))
			.withPropertyValues("spring.ai.vlcache.model=" + folder, "spring.ai.vlcache.chat.max-tokens=3")
			.run(context -> {
				List<Media> media = new java.util.ArrayList<>();
				for (int i = 0; i < images; i++) {
					media.add(Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG)
						.data(java.nio.file.Files.readAllBytes(folder.resolve("image" + i + ".png")))
						.build());
				}
				ChatResponse response = context.getBean(VlCacheChatModel.class)
					.call(new Prompt(UserMessage.builder().text("what color is the circle ?").media(media).build()));
				assertThat((Integer) response.getMetadata().get(VlCacheChatModel.METADATA_IMAGE_TOKENS)).isEqualTo(imageTokens);
				CompressionMetadata c = response.getMetadata().get(VlCacheChatModel.METADATA_COMPRESSION);
				assertThat(c.policy()).isEqualTo("vl-cache");
				assertThat(c.kvBytesAfter()).isLessThan(c.kvBytesBefore());
			});
	}

}
