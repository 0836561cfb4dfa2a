package dev.vlcache.demo.training;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.demo.task.QuestionKind;
import dev.vlcache.demo.task.TaskGenerator;
import dev.vlcache.demo.task.TaskSample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class KindEmphasisTest {

	@Test
	void kindsAnsweredRightFadeToTheFloorWhileWrongOnesKeepFullWeight(@TempDir Path dir) throws Exception {
		TrainingBatch batch = batch(dir);
		KindEmphasis emphasis = new KindEmphasis();
		float[] fresh = emphasis.weights(batch);
		for (int i = 0; i < fresh.length; i++) {
			// Nothing observed yet: every kind counts as always wrong.
			assertThat(fresh[i]).isCloseTo(batch.weights()[i] * 1.1f, within(1e-6f));
		}
		// Colour words always right, everything else always wrong, for long enough to forget the start.
		long[] predicted = new long[batch.targets().length];
		for (int i = 0; i < predicted.length; i++) {
			predicted[i] = batch.kinds()[i] == QuestionKind.COLOUR ? batch.targets()[i] : -1;
		}
		int[][] tally = emphasis.observe(batch, predicted);
		for (QuestionKind kind : QuestionKind.values()) {
			long words = java.util.Arrays.stream(batch.kinds()).filter(k -> k == kind).count();
			assertThat(tally[1][kind.ordinal()]).as(kind.name()).isEqualTo(words);
			assertThat(tally[0][kind.ordinal()]).as(kind.name()).isEqualTo(kind == QuestionKind.COLOUR ? words : 0);
		}
		for (int step = 1; step < 1000; step++) {
			emphasis.observe(batch, predicted);
		}
		float[] weights = emphasis.weights(batch);
		int colour = 0;
		for (int i = 0; i < weights.length; i++) {
			float factor = batch.kinds()[i] == QuestionKind.COLOUR ? 0.1f : 1.1f;
			colour += batch.kinds()[i] == QuestionKind.COLOUR ? 1 : 0;
			assertThat(weights[i]).isCloseTo(batch.weights()[i] * factor, within(1e-4f));
		}
		assertThat(colour).isPositive();
	}

	private static TrainingBatch batch(Path dir) throws Exception {
		List<List<TaskSample>> conversations = new ArrayList<>();
		TaskGenerator generator = new TaskGenerator(5);
		for (int i = 0; i < 6; i++) {
			conversations.add(generator.conversation(8, 1, Integer.MAX_VALUE));
		}
		return DemoBatches.of(dir, conversations);
	}

}
