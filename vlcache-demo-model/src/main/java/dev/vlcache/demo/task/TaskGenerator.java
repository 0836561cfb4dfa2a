package dev.vlcache.demo.task;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates pages and questions from a seed: the same seed gives the same samples, in the same order, on every
 * machine.
 *
 * <p>
 * A page holds gray distractor shapes and, for most questions, exactly one coloured shape among them (on one of
 * the pages when there are several): its colour, shape, letter or place is the answer, so each short answer
 * depends on one image token among hundreds. Counting questions ask how many shapes are coloured (one to four);
 * a description lists every shape of a page. Telling the coloured shape from gray ones needs no knowledge of the
 * question, which a model this small learns within its training budget; telling apart objects by what the
 * question names did not (see the README).
 */
public final class TaskGenerator {

	private static final String[] NUMBERS = { "zero", "one", "two", "three", "four", "five", "six" };

	private static final QuestionKind[] SHORT_KINDS = { QuestionKind.COLOUR, QuestionKind.SHAPE, QuestionKind.LETTER,
			QuestionKind.POSITION, QuestionKind.COUNT };

	private static final List<QuestionKind> ATTRIBUTE_KINDS = List.of(QuestionKind.COLOUR, QuestionKind.SHAPE,
			QuestionKind.LETTER, QuestionKind.POSITION);

	private static final int MAX_COLOURED = 4;

	private final SplittableRandom random;

	public TaskGenerator(long seed) {
		this.random = new SplittableRandom(seed);
	}

	/** Number words the counting answers use, indexed by count. */
	public static List<String> numbers() {
		return List.of(NUMBERS);
	}

	/**
	 * The next test question: a sixth describe one page, the rest ask a short question about one page (half of
	 * them) or two to four pages.
	 */
	public TaskSample sample() {
		QuestionKind kind = this.random.nextInt(6) == 0 ? QuestionKind.DESCRIBE
				: SHORT_KINDS[this.random.nextInt(SHORT_KINDS.length)];
		int images = kind == QuestionKind.DESCRIBE ? 1 : imageCount();
		int coloured = kind == QuestionKind.COUNT || kind == QuestionKind.DESCRIBE ? 1 + this.random.nextInt(MAX_COLOURED)
				: 1;
		return question(pages(images, coloured, Integer.MAX_VALUE), kind);
	}

	/** The next {@code count} test questions (see {@link #sample()}). */
	public List<TaskSample> samples(int count) {
		List<TaskSample> out = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			out.add(sample());
		}
		return out;
	}

	/** Up to {@code turns} questions about the same one to four pages, for training with multi-turn conversations. */
	public List<TaskSample> conversation(int turns) {
		return conversation(turns, imageCount(), Integer.MAX_VALUE);
	}

	/**
	 * Up to {@code turns} questions about the same {@code images} pages of at most {@code maxObjects} shapes each (a
	 * training curriculum starts with few distractors). No answer in a conversation can be read from an earlier
	 * turn: each question is asked once, and a page's description, which names every object, comes last. With
	 * descriptions anywhere and repeated questions, the model learnt to copy answers from the text instead of
	 * reading the image: a letter asked alone was right 4 times in 60, asked after the page's description 58 times.
	 */
	public List<TaskSample> conversation(int turns, int images, int maxObjects) {
		// Half with one coloured shape, which every kind of question fits; half with several, which only counting
		// does: counting was the kind learnt last.
		int coloured = this.random.nextBoolean() ? 1 : 2 + this.random.nextInt(MAX_COLOURED - 1);
		List<Scene> scenes = pages(images, coloured, maxObjects);
		List<QuestionKind> kinds = new ArrayList<>();
		kinds.add(QuestionKind.COUNT);
		if (coloured == 1) {
			kinds.addAll(ATTRIBUTE_KINDS);
			// "one" about a fifth of the counting answers, as against a quarter in the test set.
			if (this.random.nextInt(4) != 0) {
				kinds.remove(QuestionKind.COUNT);
			}
		}
		shuffle(kinds);
		List<QuestionKind> asked = new ArrayList<>(kinds.subList(0, Math.min(turns, kinds.size())));
		if (images == 1 && asked.size() < turns && this.random.nextInt(3) != 0) {
			asked.add(QuestionKind.DESCRIBE);
		}
		List<TaskSample> out = new ArrayList<>();
		for (QuestionKind kind : asked) {
			out.add(question(scenes, kind));
		}
		return out;
	}

	/** A page with {@code objects} shapes at distinct random cells, the first {@code coloured} of them coloured. */
	public Scene scene(int objects, int coloured) {
		List<SceneObject> out = new ArrayList<>();
		List<Colour> colours = new ArrayList<>(Colour.vivid());
		boolean[] used = new boolean[Scene.CELLS * Scene.CELLS];
		while (out.size() < objects) {
			int cell = this.random.nextInt(used.length);
			if (used[cell]) {
				continue;
			}
			used[cell] = true;
			Colour colour = out.size() < coloured ? colours.remove(this.random.nextInt(colours.size())) : Colour.GRAY;
			out.add(new SceneObject(colour, pick(Shape.values()),
					Glyphs.LETTERS.get(this.random.nextInt(Glyphs.LETTERS.size())), cell / Scene.CELLS,
					cell % Scene.CELLS));
		}
		return new Scene(out);
	}

	private int imageCount() {
		return this.random.nextBoolean() ? 1 : 2 + this.random.nextInt(3);
	}

	/** Pages with {@code coloured} coloured shapes spread over them and gray distractors on each. */
	private List<Scene> pages(int images, int coloured, int maxObjects) {
		int[] colouredOn = new int[images];
		for (int i = 0; i < coloured; i++) {
			colouredOn[this.random.nextInt(images)]++;
		}
		List<Scene> scenes = new ArrayList<>();
		for (int i = 0; i < images; i++) {
			int gray = images == 1 ? 3 + this.random.nextInt(5) : 1 + this.random.nextInt(3);
			int objects = Math.max(colouredOn[i], Math.min(maxObjects, colouredOn[i] + gray));
			scenes.add(scene(objects, colouredOn[i]));
		}
		return scenes;
	}

	private TaskSample question(List<Scene> scenes, QuestionKind kind) {
		List<SceneObject> coloured = scenes.stream()
			.flatMap(s -> s.objects().stream())
			.filter(o -> o.colour() != Colour.GRAY)
			.toList();
		// Each kind's question ends with its own word (shape, coloured, show, object, there), none of them an answer
		// word: the answer is read at that position, so that word alone tells the decoder which attribute to copy.
		// (Earlier wordings ended shape and count questions both in "coloured", letter and position both in
		// "shape", and colour questions in "gray".)
		String colourWord = this.random.nextBoolean() ? "colour" : "color";
		String coloured1 = colourWord + "ed";
		if (kind == QuestionKind.DESCRIBE) {
			return new TaskSample(scenes, kind, "Describe the image.", scenes.get(0).describe());
		}
		if (kind == QuestionKind.COUNT) {
			return new TaskSample(scenes, kind, "How many " + coloured1 + " shapes are there?", NUMBERS[coloured.size()]);
		}
		if (coloured.size() != 1) {
			throw new IllegalStateException("a " + kind + " question needs exactly one coloured shape");
		}
		SceneObject t = coloured.get(0);
		return switch (kind) {
			case COLOUR -> new TaskSample(scenes, kind, "What " + colourWord + " is the " + coloured1 + " shape?",
					t.colour().word());
			case SHAPE -> new TaskSample(scenes, kind, "Which shape is " + coloured1 + "?", t.shape().word());
			case LETTER -> new TaskSample(scenes, kind, "Which letter does the " + coloured1 + " shape show?",
					t.letterWord());
			case POSITION -> new TaskSample(scenes, kind, "Where is the " + coloured1 + " object?", t.region());
			default -> throw new IllegalStateException(kind.name());
		};
	}

	private <T> void shuffle(List<T> values) {
		// Fisher-Yates on the generator's own random, so that a seed fixes the order.
		for (int i = values.size() - 1; i > 0; i--) {
			values.set(i, values.set(this.random.nextInt(i + 1), values.get(i)));
		}
	}

	private <T> T pick(T[] values) {
		return values[this.random.nextInt(values.length)];
	}

}
