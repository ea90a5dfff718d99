"""Text for the course's Unit 3 (issue 13): tokenizers, vocabularies, language-model batches, BLEU."""
