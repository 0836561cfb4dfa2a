package dev.vlcache.demo.task;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.vlcache.core.image.RgbImage;

import static org.assertj.core.api.Assertions.assertThat;

class TaskGeneratorTest {

	@Test
	void sameSeedGivesSameSamplesAndOtherSeedsDiffer() {
		List<TaskSample> a = samples(7, 50);
		List<TaskSample> b = samples(7, 50);
		List<TaskSample> c = samples(8, 50);
		assertThat(a).isEqualTo(b);
		assertThat(a).isNotEqualTo(c);
	}

	@Test
	void everyAnswerFollowsFromThePagesAndTheQuestionNamesOneObject() {
		Map<QuestionKind, Integer> kinds = new EnumMap<>(QuestionKind.class);
		int multi = 0;
		for (TaskSample s : samples(2026, 600)) {
			assertThat(oracle(s)).as(s.question()).isEqualTo(s.answer());
			kinds.merge(s.kind(), 1, Integer::sum);
			multi += s.scenes().size() > 1 ? 1 : 0;
			assertThat(s.scenes()).hasSizeBetween(1, 4);
		}
		assertThat(kinds).containsOnlyKeys(QuestionKind.values());
		kinds.values().forEach(n -> assertThat(n).isGreaterThan(60));
		assertThat(multi).isBetween(200, 350);
	}

	@Test
	void trainingConversationsAskAboutTheSamePagesAndNoTurnGivesAwayALaterAnswer() {
		TaskGenerator generator = new TaskGenerator(1);
		Map<QuestionKind, Integer> kinds = new EnumMap<>(QuestionKind.class);
		for (int i = 0; i < 300; i++) {
			int images = 1 + i % 4;
			List<TaskSample> turns = generator.conversation(8, images, Integer.MAX_VALUE);
			assertThat(turns).isNotEmpty().hasSizeLessThanOrEqualTo(8);
			assertThat(turns).allSatisfy(t -> assertThat(t.scenes()).isEqualTo(turns.get(0).scenes()));
			assertThat(turns.get(0).scenes()).hasSize(images);
			// Each question once, and the description (which names every object) only as the last turn.
			assertThat(turns.stream().map(TaskSample::kind)).doesNotHaveDuplicates();
			for (int t = 0; t < turns.size() - 1; t++) {
				assertThat(turns.get(t).kind()).isNotEqualTo(QuestionKind.DESCRIBE);
			}
			turns.forEach(t -> kinds.merge(t.kind(), 1, Integer::sum));
		}
		// Every kind is trained, descriptions on single pages only.
		assertThat(kinds).containsOnlyKeys(QuestionKind.values());
		kinds.values().forEach(n -> assertThat(n).isGreaterThan(30));
		assertThat(generator.conversation(2, 1, Integer.MAX_VALUE)).hasSizeLessThanOrEqualTo(2);
	}

	@Test
	void renderingPaintsEachObjectInItsOwnCell() {
		SceneObject circle = new SceneObject(Colour.RED, Shape.CIRCLE, 'K', 2, 13);
		SceneObject square = new SceneObject(Colour.BLUE, Shape.SQUARE, 'T', 15, 0);
		RgbImage image = new Scene(List.of(circle, square)).render();
		assertThat(image.width()).isEqualTo(256);
		// A cell corner is outside the circle but inside the square.
		assertThat(rgb(image, 13 * 16, 2 * 16)).containsExactly(245, 245, 245);
		assertThat(rgb(image, 0 * 16 + 2, 15 * 16 + 2)).containsExactly(31, 90, 220);
		// Left edge of the circle, mid-height: red. The letter's ink (K's left stroke) is black.
		assertThat(rgb(image, 13 * 16 + 2, 2 * 16 + 8)).containsExactly(214, 39, 40);
		assertThat(rgb(image, 13 * 16 + 5, 2 * 16 + 4)).containsExactly(0, 0, 0);
		// An empty cell stays paper.
		assertThat(rgb(image, 8 * 16 + 8, 8 * 16 + 8)).containsExactly(245, 245, 245);
		assertThat(circle.describe()).isEqualTo("red circle k top right");
		assertThat(square.region()).isEqualTo("bottom left");
		assertThat(new Scene(List.of(square, circle)).describe())
			.isEqualTo("red circle k top right, blue square t bottom left");
	}

	@Test
	void pngDecodesToTheSamePixels() throws Exception {
		Scene scene = new TaskGenerator(3).scene(6, 2);
		java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(scene.png()));
		RgbImage image = scene.render();
		for (int i = 0; i < 256 * 256; i += 97) {
			int x = i % 256;
			int y = i / 256;
			int v = png.getRGB(x, y);
			assertThat(new int[] { v >> 16 & 255, v >> 8 & 255, v & 255 }).containsExactly(rgb(image, x, y));
		}
	}

	@Test
	void regionsSplitTheGridIntoThirds() {
		assertThat(Region.of(0, 0, 16)).isEqualTo("top left");
		assertThat(Region.of(4, 5, 16)).isEqualTo("top center");
		assertThat(Region.of(5, 10, 16)).isEqualTo("middle center");
		assertThat(Region.of(10, 11, 16)).isEqualTo("middle right");
		assertThat(Region.of(11, 15, 16)).isEqualTo("bottom right");
	}

	@Test
	void vocabularyCoversEveryWordOfQuestionsAndAnswers() {
		List<String> words = TaskVocabulary.words();
		assertThat(words).doesNotHaveDuplicates();
		assertThat(words.subList(0, 4)).containsExactly("<unk>", "<s>", "</s>", "<image>");
		for (TaskSample s : samples(11, 300)) {
			for (String w : (s.question() + " " + s.answer()).toLowerCase().split("\\s+|(?=[?.,])|(?<=[?.,])")) {
				if (!w.isBlank()) {
					assertThat(words).as(s.question()).contains(w.trim());
				}
			}
		}
	}

	private static int[] rgb(RgbImage image, int x, int y) {
		int i = y * image.width() + x;
		return new int[] { image.planes()[0][i], image.planes()[1][i], image.planes()[2][i] };
	}

	private static List<TaskSample> samples(long seed, int n) {
		return new TaskGenerator(seed).samples(n);
	}

	/** Answers a question from the pages alone, parsing its text; checks that a short answer has one referent. */
	private static String oracle(TaskSample s) {
		List<SceneObject> all = s.scenes().stream().flatMap(p -> p.objects().stream()).toList();
		List<SceneObject> coloured = all.stream().filter(o -> o.colour() != Colour.GRAY).toList();
		String q = s.question().toLowerCase().replace("color", "colour");
		if (q.equals("describe the image.")) {
			return s.scenes().get(0).describe();
		}
		if (q.equals("how many coloured shapes are there?")) {
			return TaskGenerator.numbers().get(coloured.size());
		}
		assertThat(coloured).as("coloured shapes for: " + q).hasSize(1);
		SceneObject target = coloured.get(0);
		return switch (q) {
			case "what colour is the coloured shape?" -> target.colour().word();
			case "which shape is coloured?" -> target.shape().word();
			case "which letter does the coloured shape show?" -> target.letterWord();
			case "where is the coloured object?" -> target.region();
			default -> throw new AssertionError("unexpected question: " + q);
		};
	}

}
