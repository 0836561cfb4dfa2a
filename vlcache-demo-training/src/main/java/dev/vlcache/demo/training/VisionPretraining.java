package dev.vlcache.demo.training;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.demo.task.Region;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.SceneObject;
import dev.vlcache.demo.task.TaskVocabulary;

/**
 * Stage 1 of training, LLaVA's feature alignment: the vision tower and projector learn to map each image token
 * near the sum of the decoder's word embeddings for what its cell shows (colour, shape and letter of an object,
 * and the row and column words of its region). Image tokens then live in the words' space, and a question word
 * can find the object it names by similarity, which the decoder's first attention layers start out computing
 * (see {@link TrainableLlava}). Without this the tower and decoder must discover together that looking at one
 * token among 256 pays off, which took longer than the whole training budget.
 */
final class VisionPretraining {

	private VisionPretraining() {
	}

	/** Mean squared distance of the projected features of {@code scenes} to their word targets. */
	static NDArray loss(NDManager scope, TrainableLlava model, List<Scene> scenes, ImageProcessor processor) {
		int tokens = Scene.CELLS * Scene.CELLS;
		int size = Scene.SIZE * Scene.SIZE * 3;
		List<String> words = TaskVocabulary.words();
		float[] pixels = new float[scenes.size() * size];
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
			System.arraycopy(processor.preprocess(scene.render()), 0, pixels, i * size, size);
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
					bag[t * vocab + words.indexOf(o.colour().word())] = 1;
					bag[t * vocab + words.indexOf(o.shape().word())] = 1;
					bag[t * vocab + words.indexOf(o.letterWord())] = 1;
				}
				// Object cells and empty cells weigh half each: objects are a few cells in 256.
				weight[t] = o == null ? 0.5f / empty : 0.5f / Math.max(1, objects);
			}
		}
		NDArray features = model.imageFeatures(scope, pixels, scenes.size());
		NDArray embeddings = model.parameters().get(TrainableLlava.EMBEDDINGS).stopGradient();
		embeddings.attach(scope);
		NDArray targets = scope.create(bag, new ai.djl.ndarray.types.Shape(n, vocab))
			.matMul(embeddings);
		NDArray w = scope.create(weight, new ai.djl.ndarray.types.Shape(n, 1));
		return features.sub(targets).square().mean(new int[] { 1 }, true).mul(w).sum();
	}

}
