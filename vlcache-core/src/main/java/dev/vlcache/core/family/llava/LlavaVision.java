package dev.vlcache.core.family.llava;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.config.VisionConfig.VisionFamily;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.family.VisionEncoder;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.vision.MultiModalProjector;
import dev.vlcache.core.vision.VisionTower;

/** LLaVA-1.5's tower and projector: each image's features are its prompt tokens, in order. */
public final class LlavaVision implements VisionEncoder {

	private final VisionTower tower;

	private final MultiModalProjector projector;

	private final ImageProcessor processor;

	private final DataType dtype;

	private final int side;

	LlavaVision(WeightLoader weights, LlavaConfig config, ImageProcessor processor) {
		this.tower = new VisionTower(weights, config);
		this.projector = new MultiModalProjector(weights, config);
		this.processor = processor;
		this.dtype = weights.computeType();
		this.side = config.vision().imageSize();
	}

	static String towerName(LlavaConfig config) {
		return config.vision().family() == VisionFamily.CLIP ? "clip" : "siglip";
	}

	public ImageProcessor processor() {
		return this.processor;
	}

	@Override
	public NDArray encode(NDManager scope, List<PreparedImage> images) {
		NDArray features = features(pixelValues(scope, PreparedImage.concatenatedPixels(images), images.size()));
		return features.reshape(-1, features.getShape().get(2));
	}

	/** Preprocesses images into [images, 3, side, side] pixel values in the compute dtype. */
	public NDArray pixelValues(NDManager scope, List<RgbImage> images) {
		int per = 3 * this.side * this.side;
		float[] all = new float[images.size() * per];
		for (int i = 0; i < images.size(); i++) {
			float[] one = LlavaImage.of(this.processor, images.get(i), "image " + (i + 1), this.side, 0).pixels();
			System.arraycopy(one, 0, all, i * per, per);
		}
		return pixelValues(scope, all, images.size());
	}

	private NDArray pixelValues(NDManager scope, float[] all, int count) {
		NDArray pixels = scope.create(all, new Shape(count, 3, this.side, this.side));
		return this.dtype == DataType.FLOAT32 ? pixels : pixels.toType(this.dtype, false);
	}

	/** Tower and projector: [images, 3, side, side] to [images, image tokens, decoder hidden]. */
	public NDArray features(NDArray pixelValues) {
		return this.projector.forward(this.tower.forward(pixelValues));
	}

}
