/** Character-level text generation (browser-safe). */
export { Vocabulary, PAD, EOS, UNK, FIRST_CHAR, type EncodeOptions, type VocabularyJSON, type VocabularyMode } from './vocabulary.js';
export { lineDataset, windowDataset, type TextDataset, type LineDatasetOptions, type WindowDatasetOptions } from './datasets.js';
export { sampleIndex, type SampleIndexOptions } from '../core/sampling.js';
export {
  TextGenerator,
  METADATA_KEY,
  type TextGeneratorArgs,
  type TextFitOptions,
  type SampleOptions,
  type TextEvaluation,
  type TextGeneratorMetadata,
  type CellType,
  type CorpusMode,
} from './textGenerator.js';
export { TextVectorizer, OOV_TOKEN, type TextVectorizerArgs, type TextVectorizerConfig, type AdaptOptions, type StandardizeMode, type SplitMode, type VectorizerOutputMode, type LowercaseMode, type TextFunction, type SavedTextFunction } from './vectorizer.js';
