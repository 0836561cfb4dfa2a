package dev.vlcache.ai;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.compression.CompressionReport;
import dev.vlcache.core.compression.LayerCompression;

/**
 * The compression report of one response, under {@link VlCacheChatModel#METADATA_COMPRESSION} in
 * {@code ChatResponseMetadata}. Plain values, so that it serialises to JSON as it is.
 *
 * @param policy the policy that ran
 * @param budgetRatio requested fraction of the prompt's KV cache to keep
 * @param retainedRatio KV bytes after compression / before
 * @param kvBytesBefore prompt KV bytes before compression
 * @param kvBytesAfter prompt KV bytes kept
 * @param promptTokens prompt length
 * @param imageTokens image tokens in the prompt
 * @param scoringWindow query rows that scored tokens
 * @param layerBudgets tokens kept per layer
 * @param layerSparsity attention sparsity per layer ({@code null} where the policy does not measure it)
 * @param keptImageTokens image tokens kept per layer
 * @param keptTextTokens text tokens kept per layer
 * @param scoringMillis time spent scoring during prefill
 * @param selectionMillis time spent allocating, selecting and shrinking
 */
public record CompressionMetadata(String policy, double budgetRatio, double retainedRatio, long kvBytesBefore,
		long kvBytesAfter, int promptTokens, int imageTokens, int scoringWindow, List<Integer> layerBudgets,
		List<@Nullable Double> layerSparsity, List<Integer> keptImageTokens, List<Integer> keptTextTokens,
		double scoringMillis, double selectionMillis) {

	public static CompressionMetadata of(CompressionReport report) {
		List<Integer> budgets = new ArrayList<>();
		List<@Nullable Double> sparsity = new ArrayList<>();
		List<Integer> image = new ArrayList<>();
		List<Integer> text = new ArrayList<>();
		for (LayerCompression layer : report.layers()) {
			budgets.add(layer.budget());
			sparsity.add(Double.isNaN(layer.sparsity()) ? null : layer.sparsity());
			image.add(layer.keptImageTokens());
			text.add(layer.keptTextTokens());
		}
		return new CompressionMetadata(report.policy(), report.options().budgetRatio(), report.retainedRatio(),
				report.kvBytesBefore(), report.kvBytesAfter(), report.promptTokens(), report.imageTokens(),
				report.scoringWindow(), budgets, sparsity, image, text, report.scoringNanos() / 1e6,
				report.selectionNanos() / 1e6);
	}

}
