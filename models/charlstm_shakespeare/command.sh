#!/bin/sh
# The command that trained models/charlstm_shakespeare/ (one CPU thread; see README.md there).
OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m lstm_helpers.train \
    --corpus tinyshakespeare --data-dir /work/shared/data --preset shakespeare --threads 1 --max-seconds 3300 \
    --device cpu --out checkpoints/charlstm_shakespeare --export models/charlstm_shakespeare/model.pt \
    --sample 600 --no-progress
