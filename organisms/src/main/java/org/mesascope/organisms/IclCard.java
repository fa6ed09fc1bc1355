package org.mesascope.organisms;

import java.util.ArrayList;
import java.util.List;

import static org.mesascope.organisms.OrganismCard.f;

/** The model card (README.md) of a vector organism: in-context regression, whose held-out measures are errors. */
final class IclCard {
    private IclCard() {
    }

    static String markdown(OrganismCard c, String folder) {
        TrainingConfig t = c.training();
        Gpt2Shape s = c.shape();
        int pairs = c.contextCurves().isEmpty() ? 0 : c.contextCurves().getFirst().error().size() - 1;
        List<String> md = new ArrayList<>();
        md.add("# " + folder + " — a Mesascope model organism");
        md.add("");
        md.add(c.description());
        md.add("");
        md.add("| | |");
        md.add("| --- | --- |");
        md.add("| task | `" + c.task() + "` |");
        md.add(f("| model | vector-input GPT-2 (docs/formats.md): a linear read-in of %d values per position in place of"
                        + " the token embedding, then GPT-2's learned positions, pre-LayerNorm blocks with gelu_new and"
                        + " final LayerNorm, and a linear read-out of %d value%s in place of the unembedding: %d layers,"
                        + " d_model %d, %d heads, MLP %d, context %d; %,d parameters, F32 |",
                s.inputDim(), s.vocab(), s.vocab() == 1 ? "" : "s", s.layers(), s.dModel(), s.heads(), s.dMlp(),
                s.positions(), c.parameters()));
        md.add(f("| training | %,d steps × %d sequences drawn fresh from the generator; loss: the squared error of the"
                        + " read-out at every x position 2i against y_i (i = 0 .. %d), so each sequence gives %d"
                        + " predictions, each from the pairs before it (Garg et al. 2022); TorchAdamW (β₁ 0.9, β₂ 0.99,"
                        + " weight decay %s on matrices), peak learning rate %s after %d warm-up steps, cosine decay to"
                        + " a tenth of it%s |",
                t.steps(), t.batchSize(), pairs, pairs + 1, t.weightDecay(), t.learningRate(), t.warmupSteps(),
                t.curriculumSteps() == 0 ? "" : f("; a curriculum over the first %,d steps (Garg et al. 2022): %d equal"
                        + " stages in which the inputs use only their first 1, 2, ..., %d coordinates (the rest 0)",
                t.curriculumSteps(), s.inputDim() - 1, s.inputDim() - 1)));
        md.add("| seed | " + t.seed() + " (initial weights, training stream, held-out stream) |");
        md.add("| command | `" + c.command() + "` |");
        md.add(f("| time | %.0f s training on %s, %d libtorch thread%s; %.0f s held-out evaluation |", c.trainSeconds(),
                c.machine(), t.threads(), t.threads() == 1 ? "" : "s", c.evalSeconds()));
        md.add("");
        md.add("## Held-out results");
        md.add("");
        md.add(f("%,d sequences per measurement, drawn from the generator with a stream independent of the training"
                + " stream, predicted by Mesascope's CPU engine reading this folder (`Batch.ofVectors`). Errors are mean"
                + " squared errors; `y_variance` is the mean y², the error of always answering 0.", c.heldOutExamples()));
        md.add("");
        md.add("| measurement | mean squared error |");
        md.add("| --- | --- |");
        c.heldOut().forEach((name, value) -> md.add("| " + name + " | " + c.format(value) + " |"));
        md.add("");
        md.add("## Error by number of in-context examples");
        md.add("");
        md.add("![held-out error by number of in-context examples](" + OrganismCard.CONTEXT_FILE + ")");
        md.add("");
        md.add("The prediction at x position 2i has seen i pairs (x_j, y_j), so one sequence gives the error at every"
                + " context size 0 .. " + pairs + ". Each column is one predictor on the same held-out sequences:");
        md.add("");
        for (IclEvaluation.ErrorCurve curve : c.contextCurves()) md.add("- `" + curve.name() + "`: " + curve.description());
        md.add("");
        StringBuilder header = new StringBuilder("| pairs seen |"), rule = new StringBuilder("| ---: |");
        for (IclEvaluation.ErrorCurve curve : c.contextCurves()) {
            header.append(' ').append(curve.name()).append(" |");
            rule.append(" ---: |");
        }
        md.add(header.toString());
        md.add(rule.toString());
        for (int i = 0; i <= pairs; i++) {
            StringBuilder row = new StringBuilder("| " + i + " |");
            for (IclEvaluation.ErrorCurve curve : c.contextCurves()) row.append(' ').append(f("%.4f", curve.error().get(i))).append(" |");
            md.add(row.toString());
        }
        md.add("");
        md.add("## Training curve");
        md.add("");
        md.add("![training loss and held-out query error by step](" + OrganismCard.CURVE_FILE + ")");
        md.add("");
        md.add(f("Loss: the mean mini-batch loss over each %d steps (squared error per prediction, all x positions)%s."
                + " Held-out: the squared error at the query on %d held-out sequences with all inputs active, computed"
                + " by the trainer.", t.evalEvery(), t.curriculumSteps() == 0 ? "" : f("; during the curriculum"
                + " (steps 1 .. %,d) it is on fewer active dimensions, where y varies less, so it rises as they are"
                + " added", t.curriculumSteps()), OrganismTrainer.CURVE_EXAMPLES));
        md.add("");
        md.add("## Samples");
        md.add("");
        md.add("Held-out queries after " + pairs + " pairs, with the model's prediction and least squares' fitted to the"
                + " same pairs:");
        md.add("");
        md.add("```");
        md.addAll(c.samples());
        md.add("```");
        md.add("");
        md.add("## Files and use");
        md.add("");
        md.add(f("`config.json` is a GPT-2 config with `\"mesascope\": {\"input\": \"vectors\", \"input_dim\": %d,"
                + " \"output_dim\": %d}` and no vocabulary; `model.safetensors` holds GPT-2's tensors without"
                + " `transformer.wte.weight`, plus `mesascope.read_in.{weight,bias}` and `mesascope.read_out.{weight,bias}`"
                + " (torch.nn.Linear layout); there is no tokenizer. docs/formats.md describes the format.",
                s.inputDim(), s.vocab()));
        md.add("`" + OrganismCard.JSON_FILE + "` holds the numbers on this page, the error curves and the training curve.");
        md.add("");
        md.add(f("A sequence is %d vectors of %d values: x_1, y_1, ..., x_%d, y_%d, x_q, where an x vector is `[x, 0]`"
                + " and a y vector `[0, ..., 0, y]`. The prediction of y_i is the read-out (the `logits` hook) at x_i's"
                + " position 2i; the one at the last position predicts y_q. From Java:", 2 * pairs + 1, s.inputDim(),
                pairs, pairs));
        md.add("");
        md.add("```java");
        md.add("try (LoadedModel m = Models.load(\"models/" + folder + "\")) {");
        md.add("    float[] sequence = ...;  // " + (2 * pairs + 1) + " × " + s.inputDim() + " values, position-major");
        md.add("    Tensor out = m.model().forward(Batch.ofVectors(" + s.inputDim() + ", sequence), new HookRegistry());");
        md.add("    float yq = out.data()[" + (2 * pairs) + "];   // [1, " + (2 * pairs + 1) + ", 1]");
        md.add("}");
        md.add("```");
        md.add("");
        md.add("In Python: `GPT2Model.from_pretrained(\"models/" + folder + "\")` for the trunk (it warns that `wte` is"
                + " newly initialized: it is unused), and the read-in and read-out from `safetensors.torch.load_file`;"
                + " feed `inputs_embeds = read_in(x)` and apply `read_out` to `last_hidden_state`.");
        return String.join("\n", md) + "\n";
    }
}
