/** Sequence to sequence: encoder–decoder with attention, greedy and beam decoding, metrics (browser-safe). */
export {
  Seq2Seq,
  type Seq2SeqArgs,
  type Seq2SeqPairsArgs,
  type Seq2SeqTokens,
  type Seq2SeqCell,
  type Seq2SeqAttention,
  type Seq2SeqFitOptions,
  type TranslateOptions,
  type Seq2SeqEvaluation,
  type Seq2SeqMetadata,
  type DecodingDefaults,
} from './seq2seq.js';
export { decode, type DecoderStep, type DecodeOptions } from './decode.js';
export { editDistance, scoreSequences, corpusBleu, type SequenceScores } from './metrics.js';
