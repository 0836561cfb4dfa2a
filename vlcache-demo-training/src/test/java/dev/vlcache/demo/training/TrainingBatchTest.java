package dev.vlcache.demo.training;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.demo.task.Colour;
import dev.vlcache.demo.task.QuestionKind;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.SceneObject;
import dev.vlcache.demo.task.TaskGenerator;
import dev.vlcache.demo.task.TaskSample;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingBatchTest {

	@Test
	void groundingPointsAtTheColouredShapesImageTokens(@TempDir Path dir) throws Exception {
		List<List<TaskSample>> conversations = new ArrayList<>();
		TaskGenerator generator = new TaskGenerator(12);
		for (int i = 0; i < 6; i++) {
			conversations.add(generator.conversation(4, 1 + i % 4, Integer.MAX_VALUE));
		}
		TrainingBatch batch = DemoBatches.of(dir, conversations);
		LlavaConfig config = ConfigParser.parse(dir);
		int length = batch.length();
		int expectedRows = 0;
		int row = 0;
		for (int s = 0; s < conversations.size(); s++) {
			List<TaskSample> conversation = conversations.get(s);
			// The image tokens of this sequence, in order: page after page, cells in reading order.
			List<Integer> imageTokens = new ArrayList<>();
			for (int t = 0; t < length; t++) {
				if (batch.ids()[s * length + t] == config.imageTokenId()) {
					imageTokens.add(t);
				}
			}
			List<Integer> coloured = new ArrayList<>();
			List<Scene> pages = conversation.get(0).scenes();
			for (int page = 0; page < pages.size(); page++) {
				for (SceneObject o : pages.get(page).objects()) {
					if (o.colour() != Colour.GRAY) {
						coloured.add(imageTokens.get(page * 256 + o.row() * Scene.CELLS + o.column()));
					}
				}
			}
			for (TaskSample sample : conversation) {
				if (sample.kind() == QuestionKind.DESCRIBE) {
					continue;
				}
				// One row per answer word: "top left" has two, "red" one.
				for (int word = 0; word < sample.answer().split(" ").length; word++) {
					expectedRows++;
					long position = batch.groundPositions()[row];
					assertThat(position / length).isEqualTo(s);
					// A ground position predicts an answer word: it is one of the answer targets.
					assertThat(batch.targetPositions()).contains(position);
					if (word > 0) {
						assertThat(position).isEqualTo(batch.groundPositions()[row - 1] + 1);
					}
					List<Integer> marked = new ArrayList<>();
					for (int t = 0; t < length; t++) {
						if (batch.evidence()[row * length + t] != 0) {
							marked.add(t);
						}
					}
					assertThat(marked).containsExactlyInAnyOrderElementsOf(coloured);
					row++;
				}
			}
		}
		assertThat(batch.groundPositions()).hasSize(expectedRows);
		assertThat(expectedRows).isGreaterThan(0);
	}

}
