package dev.vlcache.demo.training;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.demo.task.Colour;
import dev.vlcache.demo.task.Glyphs;
import dev.vlcache.demo.task.Region;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.SceneObject;
import dev.vlcache.demo.task.Shape;
import dev.vlcache.demo.task.TaskVocabulary;

/**
 * Stage 1 of training, LLaVA's feature alignment: the vision tower and projector learn to map each image token
 * near the sum of the decoder's word embeddings for what its cell shows (colour, shape and letter of an object,
 * "coloured" if it is not gray, and the row and column words of its region). Image tokens then live in the
 * words' space, where the tied LM head can read an attribute straight off the token an answer attends to. Stage 2
 * keeps tower, projector and embeddings as stage 1 leaves them (see {@link TrainableLlava#freezeAlignedInputs}).
 * At 300 steps the letters
 * and regions were not yet there (nearest-word accuracy 0.17 and 0.6); at about 900 every attribute is.
 */
final class VisionPretraining {

	private VisionPretraining() {
	}

	/** Mean squared distance of the projected features of {@code scenes} to their word targets. */
	static NDArray loss(NDManager scope, TrainableLlava model, List<Scene> scenes, ImageProcessor processor) {
		int tokens = Scene.CELLS * Scene.CELLS;
		List<String> words = TaskVocabulary.words();
		int n = scenes.size() * tokens;
		int vocab = words.size();
		// Which words each token's target sums: a [tokens, vocabulary] matrix times the embeddings.
		float[] bag = new float[n * vocab];
		float[] weight = new float[n];
		int objects = 0;
		for (Scene s : scenes) {
			objects += s.objects().size();
		}
		int empty = n - objects;
		for (int i = 0; i < scenes.size(); i++) {
			Scene scene = scenes.get(i);
			SceneObject[] cells = new SceneObject[tokens];
			for (SceneObject o : scene.objects()) {
				cells[o.row() * Scene.CELLS + o.column()] = o;
			}
			for (int c = 0; c < tokens; c++) {
				int t = i * tokens + c;
				SceneObject o = cells[c];
				for (String w : Region.of(c / Scene.CELLS, c % Scene.CELLS, Scene.CELLS).split(" ")) {
					bag[t * vocab + words.indexOf(w)] = 1;
				}
				if (o != null) {
					if (o.colour() != Colour.GRAY) {
						// What most questions call the object they ask about: a word to look for.
						bag[t * vocab + words.indexOf("coloured")] = 1;
					}
					bag[t * vocab + words.indexOf(o.colour().word())] = 1;
					bag[t * vocab + words.indexOf(o.shape().word())] = 1;
					bag[t * vocab + words.indexOf(o.letterWord())] = 1;
				}
				// Object cells and empty cells weigh half each: objects are a few cells in 256.
				weight[t] = o == null ? 0.5f / empty : 0.5f / Math.max(1, objects);
			}
		}
		NDArray features = model.imageFeatures(scope, TrainingBatch.pixels(scenes, processor), scenes.size());
		NDArray embeddings = model.parameters().get(TrainableLlava.EMBEDDINGS).stopGradient();
		embeddings.attach(scope);
		NDArray targets = scope.create(bag, new ai.djl.ndarray.types.Shape(n, vocab))
			.matMul(embeddings);
		NDArray w = scope.create(weight, new ai.djl.ndarray.types.Shape(n, 1));
		return features.sub(targets).square().mean(new int[] { 1 }, true).mul(w).sum();
	}

	/**
	 * How well the projected features of the object cells of {@code scenes} name each attribute: for colour, shape,
	 * letter, row and column, the share of object cells whose features are closest (by dot product with the word
	 * embeddings) to the right word of that attribute. Stage 1 has done its job when all five are near 1.
	 */
	static Map<String, Double> probe(NDManager scope, TrainableLlava model, List<Scene> scenes,
			ImageProcessor processor) {
		int tokens = Scene.CELLS * Scene.CELLS;
		List<String> words = TaskVocabulary.words();
		float[] scores = model.imageFeatures(scope, TrainingBatch.pixels(scenes, processor), scenes.size())
			.matMul(model.parameters().get(TrainableLlava.EMBEDDINGS).transpose())
			.toFloatArray();
		int vocab = words.size();
		Map<String, List<String>> groups = new LinkedHashMap<>();
		groups.put("colour", Colour.words());
		groups.put("shape", Shape.words());
		groups.put("letter", Glyphs.words());
		groups.put("row", Region.rowWords());
		groups.put("column", Region.columnWords());
		Map<String, Double> out = new LinkedHashMap<>();
		for (Map.Entry<String, List<String>> group : groups.entrySet()) {
			int[] ids = group.getValue().stream().mapToInt(words::indexOf).toArray();
			int right = 0;
			int total = 0;
			for (int i = 0; i < scenes.size(); i++) {
				for (SceneObject o : scenes.get(i).objects()) {
					int row = (i * tokens + o.row() * Scene.CELLS + o.column()) * vocab;
					int best = ids[0];
					for (int id : ids) {
						best = scores[row + id] > scores[row + best] ? id : best;
					}
					right += words.get(best).equals(attribute(group.getKey(), o)) ? 1 : 0;
					total++;
				}
			}
			out.put(group.getKey(), right / (double) total);
		}
		return out;
	}

	private static String attribute(String group, SceneObject o) {
		String[] region = o.region().split(" ");
		return switch (group) {
			case "colour" -> o.colour().word();
			case "shape" -> o.shape().word();
			case "letter" -> o.letterWord();
			case "row" -> region[0];
			default -> region[1];
		};
	}

}
