/**
 * Accuracy against KV-cache budget: every compression policy on the demo task's test set, written as a Markdown
 * table, a CSV and a PNG plot.
 */
@NullMarked
package dev.vlcache.demo.evaluation;

import org.jspecify.annotations.NullMarked;
