package org.mesascope.probes.linear;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MetricsTest {
    /** AUC is the probability that a random positive outscores a random negative, ties counting one half. */
    @Test
    void aucEqualsThePairwiseDefinitionWithTies() {
        SplittableRandom random = new SplittableRandom(1);
        int n = 300;
        double[] score = new double[n];
        boolean[] positive = new boolean[n];
        for (int i = 0; i < n; i++) {
            positive[i] = random.nextBoolean();
            score[i] = random.nextInt(20) + (positive[i] ? 3 : 0); // many ties
        }
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (positive[i] && !positive[j]) {
                    pairs++;
                    wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
                }
            }
        }
        assertEquals(wins / pairs, Metrics.auc(score, positive), 1e-12);
    }

    @Test
    void r2FollowsScikitLearn() {
        double[][] y = {{1, 5}, {2, 5}, {3, 5}};
        // column 0: SS_res = 0.01 + 0 + 0.01 = 0.02, SS_tot = 2; column 1 constant and exact: 1
        double[][] p = {{1.1, 5}, {2, 5}, {2.9, 5}};
        assertEquals(((1 - 0.02 / 2) + 1) / 2, Metrics.r2(p, y), 1e-12);
        double[][] off = {{1.1, 5}, {2, 5}, {2.9, 4}};
        assertEquals((1 - 0.02 / 2) / 2, Metrics.r2(off, y), 1e-12, "a constant column predicted wrongly scores 0");
    }

    @Test
    void logLossIsTheMeanNegativeLogLikelihood() {
        double[][] logP = {{Math.log(0.25), Math.log(0.75)}, {Math.log(0.5), Math.log(0.5)}};
        assertEquals(-(Math.log(0.75) + Math.log(0.5)) / 2, Metrics.logLoss(logP, new int[] {1, 0}), 1e-15);
    }
}
