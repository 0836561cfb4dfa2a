package dev.vlcache.demo.training;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.template.ChatTemplate;
import dev.vlcache.core.tokenizer.PromptEncoder;
import dev.vlcache.core.tokenizer.TextTokenizer;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.TaskSample;

/** Test batches: writes the demo model's files into a folder and encodes conversations as the trainer does. */
final class DemoBatches {

	private DemoBatches() {
	}

	static TrainingBatch of(Path dir, List<List<TaskSample>> conversations) throws IOException {
		return of(dir, conversations, null);
	}

	/** With simulated evictions drawn from {@code eviction} when it is not null. */
	static TrainingBatch of(Path dir, List<List<TaskSample>> conversations, @Nullable SplittableRandom eviction)
			throws IOException {
		return of(dir, conversations, eviction, eviction == null ? null : new SplittableRandom(7));
	}

	/** With simulated evictions drawn from {@code eviction}, their blind layers from {@code blinding}. */
	static TrainingBatch of(Path dir, List<List<TaskSample>> conversations, @Nullable SplittableRandom eviction,
			@Nullable SplittableRandom blinding) throws IOException {
		DemoArchitecture.DEFAULT.writeFiles(dir);
		LlavaConfig config = ConfigParser.parse(dir);
		try (TextTokenizer tokenizer = TextTokenizer.load(dir)) {
			PromptEncoder encoder = new PromptEncoder(tokenizer, ChatTemplate.load(dir), config.imageTokenId(),
					Scene.CELLS * Scene.CELLS, config.text().maxPositionEmbeddings());
			return TrainingBatch.of(conversations, encoder, ImageProcessor.load(dir), config.imageTokenId(),
					config.text().numLayers(), eviction, blinding);
		}
	}

}
