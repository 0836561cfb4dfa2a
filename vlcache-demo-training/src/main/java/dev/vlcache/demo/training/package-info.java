/**
 * Trains the demo model: a batched, differentiable LLaVA forward pass written with DJL's autograd, AdamW, and the
 * export to an ordinary Hugging Face checkpoint that the inference engine loads.
 */
@NullMarked
package dev.vlcache.demo.training;

import org.jspecify.annotations.NullMarked;
