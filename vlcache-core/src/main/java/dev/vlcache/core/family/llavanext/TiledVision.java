package dev.vlcache.core.family.llavanext;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.family.VisionEncoder;
import dev.vlcache.core.vision.MultiModalProjector;
import dev.vlcache.core.vision.VisionTower;

/**
 * LLaVA-NeXT's image features ({@code pack_image_features}): every tile through the tower and projector; the
 * grid tiles' features put back into one map, its padding rows or columns cut off, for OneVision downsampled
 * (bilinear) when larger than its limit, and an {@code image_newline} embedding after every row of it; the base
 * tile's features first.
 */
final class TiledVision implements VisionEncoder {

	private final VisionTower tower;

	private final MultiModalProjector projector;

	/** {@code image_newline} as a [hidden, 1, 1] column, reshaped once at load. */
	private final NDArray newline;

	private final AnyResolution geometry;

	private final DataType dtype;

	TiledVision(WeightLoader weights, LlavaConfig config, AnyResolution geometry) {
		this.tower = new VisionTower(weights, config);
		this.projector = new MultiModalProjector(weights, config);
		long hidden = config.text().hiddenSize();
		this.newline = weights.load("image_newline", hidden).reshape(hidden, 1, 1);
		this.geometry = geometry;
		this.dtype = weights.computeType();
	}

	@Override
	public NDArray encode(NDManager scope, List<PreparedImage> images) {
		int tile = this.geometry.tile();
		int tiles = images.stream().mapToInt(i -> ((TiledImage) i).tiles()).sum();
		NDArray pixels = scope.create(PreparedImage.concatenatedPixels(images), new Shape(tiles, 3, tile, tile));
		if (this.dtype != DataType.FLOAT32) {
			pixels = pixels.toType(this.dtype, false);
		}
		NDArray features = this.projector.forward(this.tower.forward(pixels));
		NDList packed = new NDList();
		int first = 0;
		for (PreparedImage image : images) {
			TiledImage t = (TiledImage) image;
			packed.add(pack(features.get(new NDIndex("{}:{}", first, first + t.tiles())), t));
			first += t.tiles();
		}
		return packed.size() == 1 ? packed.get(0) : NDArrays.concat(packed, 0);
	}

	/** One image's tiles' features [tiles, f*f, hidden] to its prompt embeddings [tokens, hidden]. */
	private NDArray pack(NDArray features, TiledImage image) {
		int f = this.geometry.featuresPerSide();
		long hidden = features.getShape().get(2);
		NDArray base = features.get(0);
		int[] grid = this.geometry.grid(image.height(), image.width());
		NDArray map = features.get(new NDIndex("1:"))
			.reshape(grid[0], grid[1], f, f, hidden)
			.transpose(4, 0, 2, 1, 3)
			.reshape(hidden, (long) grid[0] * f, (long) grid[1] * f);
		int[] kept = this.geometry.unpadded(image.height(), image.width());
		long rows = map.getShape().get(1);
		long columns = map.getShape().get(2);
		long top = (rows - kept[0]) / 2;
		long left = (columns - kept[1]) / 2;
		map = map.get(new NDIndex(":, {}:{}, {}:{}", top, top + kept[0], left, left + kept[1]));
		int[] out = this.geometry.gridFeatures(image.height(), image.width());
		if (out[0] != kept[0] || out[1] != kept[1]) {
			map = Bilinear.resize(map, out[0], out[1]);
		}
		// Built from the request's manager: an operation on the weight itself would leave its result to the model's.
		NDArray newlines = map.getManager().zeros(new Shape(hidden, out[0], 1), map.getDataType()).add(this.newline);
		NDArray rowsWithNewlines = NDArrays.concat(new NDList(map, newlines), 2);
		NDArray grid2d = rowsWithNewlines.reshape(hidden, (long) out[0] * (out[1] + 1)).transpose(1, 0);
		return NDArrays.concat(new NDList(base, grid2d), 0);
	}

}
