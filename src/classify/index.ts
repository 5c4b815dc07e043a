/** Text classification (browser-safe): the classifier, its report, e-mail text, bag-of-words baselines. */
export { TextClassifier, type TextClassifierArgs, type ClassifierCell, type ConvFrontEnd, type ClassLabels, type ClassifierFitOptions, type ClassifyOptions, type Prediction, type TextClassifierMetadata, type TextClassifierColumns } from './textClassifier.js';
export { classifierReport, formatClassifierReport, type ClassifierReport, type ClassScores, type AveragedScores } from './report.js';
export { emailText, htmlToText } from './email.js';
export { NaiveBayes, LogisticRegression, type Documents, type BagOfWordsModel } from './baselines.js';
