package dev.vlcache.demo.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.generation.GenerationRequest;
import dev.vlcache.core.generation.Generator;
import dev.vlcache.core.generation.ImageInput;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.generation.TokenListener;
import dev.vlcache.core.serving.BatchScheduler;
import dev.vlcache.core.serving.SchedulerListener;
import dev.vlcache.core.serving.SchedulerOptions;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.TaskGenerator;
import dev.vlcache.demo.task.TaskSample;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo model answers eight questions in one batch exactly as it answers each alone. */
class DemoModelBatchingTest {

	@Test
	void greedyAnswersInABatchOfEightEqualTheAnswersAlone() throws Exception {
		List<TaskSample> samples = new TaskGenerator(2024).samples(8);
		List<GenerationRequest> requests = new ArrayList<>();
		for (int i = 0; i < samples.size(); i++) {
			TaskSample sample = samples.get(i);
			List<ImageInput> images = new ArrayList<>();
			for (Scene scene : sample.scenes()) {
				images.add(new ImageInput("page" + images.size() + ".png", scene.png()));
			}
			// Past EOS, so that all eight overlap; half compressed, so the batch mixes cache lengths.
			CompressionOptions compression = i % 2 == 0 ? CompressionOptions.FULL : CompressionOptions.DEFAULT_VL_CACHE;
			requests.add(new GenerationRequest(List.of(ChatMessage.user(sample.question(), images.size())), images,
					SamplingOptions.builder().maxNewTokens(32).stopOnEos(false).build(), compression));
		}
		try (LlavaModel model = LlavaModel.load(new DemoModel().folder(), new ModelOptions("cpu", "float32"))) {
			Generator generator = new Generator(model);
			List<int[]> alone = new ArrayList<>();
			for (GenerationRequest r : requests) {
				alone.add(generator.generate(r).tokenIds());
			}
			AtomicInteger largest = new AtomicInteger();
			SchedulerListener events = new SchedulerListener() {
				@Override
				public void onDecodeStep(int batchSize) {
					largest.accumulateAndGet(batchSize, Math::max);
				}
			};
			try (BatchScheduler scheduler = new BatchScheduler(model, SchedulerOptions.withBudget(1L << 30), events)) {
				List<BatchScheduler.Submission> submissions = new ArrayList<>();
				for (GenerationRequest r : requests) {
					submissions.add(scheduler.submit(r, TokenListener.NONE, () -> false));
				}
				scheduler.start();
				for (int i = 0; i < submissions.size(); i++) {
					assertThat(submissions.get(i).result().get(120, TimeUnit.SECONDS).tokenIds()).as("question %d", i)
						.containsExactly(alone.get(i));
				}
			}
			assertThat(largest.get()).as("largest decoding batch").isEqualTo(8);
		}
	}

}
